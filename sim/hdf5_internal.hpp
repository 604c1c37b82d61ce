#pragma once
// What the HDF5 writer and reader share, for their .cpp files only (it includes <hdf5.h>):
// errors reported through exceptions rather than HDF5's own printout, and identifiers closed at
// scope exit.
#include <hdf5.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace essaim::hdf5::internal {

static_assert(std::is_same_v<hid_t, std::int64_t>, "hid_t is stored as std::int64_t");

// HDF5 prints its error stack to stderr by default; called before the first HDF5 call of every
// entry point that may fail, and so also before the first HDF5 call of the process.
inline void silence_hdf5() {
    // HDF5 1.10's exit-time cleanup closes again an object whose close failed (a full disk
    // failing the flush of a dataset) and crashes doing so. Every file is closed explicitly, so
    // the cleanup has nothing to do; H5dont_atexit only works before the library starts.
    [[maybe_unused]] static const bool no_cleanup_at_exit = (H5dont_atexit(), true);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

// The most specific message on HDF5's error stack (e.g. "unable to open file: ... errno = 2"),
// which then is cleared so that it does not leak into the next report.
inline std::string hdf5_reason() {
    std::string reason;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* error, void* data) -> herr_t {
            if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(data) = error->desc;
            return 0;
        },
        &reason);
    H5Eclear2(H5E_DEFAULT);
    return reason;
}

// "HDF5 file 'F', object 'O': what".
inline std::string located(std::string_view file, std::string_view object, std::string_view what) {
    std::string message = "HDF5 file '" + std::string(file) + "'";
    if (!object.empty()) message += ", object '" + std::string(object) + "'";
    return message + ": " + std::string(what);
}

// "HDF5 file 'F', object 'O': what (HDF5's reason)".
inline std::string error_message(std::string_view file, std::string_view object,
                                 std::string_view what) {
    std::string message = located(file, object, what);
    const std::string reason = hdf5_reason();
    if (!reason.empty()) message += " (" + reason + ")";
    return message;
}

// The errno that HDF5's file drivers quote in their messages ("... errno = 28, error message =
// ..."), or 0 if `reason` is not a failed system call.
inline int system_errno(std::string_view reason) {
    constexpr std::string_view kKey = "errno = ";
    const std::size_t at = reason.find(kKey);
    if (at == std::string_view::npos) return 0;
    int value = 0;
    for (std::size_t i = at + kKey.size();
         i < reason.size() && reason[i] >= '0' && reason[i] <= '9' && value < 100000; ++i)
        value = value * 10 + (reason[i] - '0');
    return value;
}

// An HDF5 identifier of any kind, released at scope exit.
class Id {
public:
    explicit Id(hid_t id) : id_(id) {}
    Id(Id&& other) noexcept : id_(other.release()) {}
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    ~Id() {
        if (id_ >= 0 && H5Idec_ref(id_) < 0) H5Eclear2(H5E_DEFAULT);
    }
    hid_t get() const { return id_; }
    bool ok() const { return id_ >= 0; }
    hid_t release() noexcept { return std::exchange(id_, -1); }

private:
    hid_t id_;
};

}  // namespace essaim::hdf5::internal
