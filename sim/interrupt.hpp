#pragma once
// What an interrupted command (SIGINT, SIGTERM, SIGHUP) cleans up and says. Writers register
// their temporary files, a directory they created and the outputs they are about to replace; the
// signal handler removes the temporaries (and the directory, if empty), writes one line on stderr
// saying what was lost, and exits with 128 + the signal number. The registry is a fixed table of
// atomics so that the handler needs neither locks nor allocation: everything it does is
// async-signal-safe.
#include <sys/types.h>

#include <string>

namespace essaim::interrupt {

// Installs the handler for SIGINT, SIGTERM and SIGHUP, except for a signal already ignored (e.g.
// SIGHUP under nohup). `who` starts the message, e.g. "essaim ensemble". Call once, early.
void install(const std::string& who);

// A registered entry; `kNone` when the table is full or the path too long, in which case the
// entry is simply not cleaned up on interruption (never an error for the caller).
using Slot = int;
constexpr Slot kNone = -1;

// A file this process is about to create exclusively under an unpredictable name: registered
// before it exists so that no signal can come between its creation and its registration. Until
// identify() is called, an interruption removes whatever is at `path` only if it is a regular
// file (never a link or a directory).
Slot add_temporary(const std::string& path);
// The file of `slot` now exists as (device, inode): an interruption removes it only if it still
// is that file, so that a name reused by someone else is left alone.
void identify(Slot slot, dev_t device, ino_t inode);
// A directory this process created: removed on interruption if it is empty by then.
Slot add_directory(const std::string& path);
// A store of finished work units (never removed): the message says how to continue it.
Slot add_store(const std::string& path);
// An output that will be written to `target`: the message says it is unchanged (or was not
// created, if it did not exist) until output_written() is called for it.
Slot add_output(const std::string& target, bool existed);
// `target` has been written (every slot registered for it by add_output).
void output_written(const std::string& target);
// Forgets a slot (the temporary was renamed or removed); kNone is ignored.
void remove(Slot slot);

}  // namespace essaim::interrupt
