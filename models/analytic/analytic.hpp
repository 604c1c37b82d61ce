#pragma once
// Small analytic models run through the same interface as Dest1 (experiment/model.hpp): they
// prove the experiment engine generic and give the sensitivity analysis and calibration checks
// whose answers are known in closed form.
//   ishigami: y = sin x1 + a sin^2 x2 + b x3^4 sin x1 (+ Gaussian noise of sd noise_sd), x_i on
//             [-pi, pi], a = 7, b = 0.1 (Ishigami and Homma 1990);
//   sobol-g:  y = prod_i (|4 x_i - 2| + a_i) / (1 + a_i), x_i on [0, 1], one x_i per coefficient
//             a_i (Saltelli and Sobol' 1995).
#include <memory>

#include "experiment/model.hpp"

namespace essaim::analytic {

std::shared_ptr<const experiment::Model> make_ishigami();
std::shared_ptr<const experiment::Model> make_sobol_g();
std::shared_ptr<const experiment::Model> make_binomial();

}  // namespace essaim::analytic
