#pragma once
// A step function of the day index: a value that changes on given days and holds until the next
// change (coach headcounts, budgets). Steps are kept sorted; lookups are O(log n).
#include <algorithm>
#include <utility>
#include <vector>

namespace essaim {

template <class T>
class StepSchedule {
public:
    StepSchedule() = default;
    // `steps` must be sorted by day with no repeated day; `before` applies before the first step.
    StepSchedule(std::vector<std::pair<int, T>> steps, T before)
        : steps_(std::move(steps)), before_(before) {}

    T at(int day) const {
        auto it = std::upper_bound(steps_.begin(), steps_.end(), day,
                                   [](int d, const std::pair<int, T>& s) { return d < s.first; });
        return it == steps_.begin() ? before_ : std::prev(it)->second;
    }
    const std::vector<std::pair<int, T>>& steps() const { return steps_; }

private:
    std::vector<std::pair<int, T>> steps_;
    T before_{};
};

}  // namespace essaim
