#include "models/dest1/submodels.hpp"

#include <boost/graph/adjacency_list.hpp>

namespace essaim::dest1 {

// r0 of each territory: adjacent when, on its opening day, a neighbour has been open for at least
// maturity_days. The graph is undirected whichever side listed the edge.
std::vector<double> initial_ramps(const Scenario& s, const std::vector<int>& open_day) {
    using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
    const int n = static_cast<int>(s.territories.size());
    Graph graph(n);
    for (int t = 0; t < n; ++t)
        for (int neighbour : s.territories[t].neighbours) boost::add_edge(t, neighbour, graph);
    std::vector<double> r0(n, s.parameters.r0_isolated);
    for (int t = 0; t < n; ++t) {
        auto [first, last] = boost::adjacent_vertices(t, graph);
        for (auto it = first; it != last; ++it) {
            if (open_day[t] - open_day[*it] >= s.parameters.maturity_days) {
                r0[t] = s.parameters.r0_adjacent;
                break;
            }
        }
    }
    return r0;
}

}  // namespace essaim::dest1
