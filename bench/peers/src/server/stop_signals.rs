//! SIGINT and SIGTERM as a stop request that one thread waits for. Blocking them
//! before any runtime thread exists makes every thread inherit the mask, so the
//! signals reach only that waiting thread, whatever the runtime does with its own.

use std::mem::MaybeUninit;

pub struct StopSignals {
    set: libc::sigset_t,
}

impl StopSignals {
    /// Blocks the signals in the calling thread and in the threads it starts later.
    pub fn block() -> StopSignals {
        // SAFETY: sigemptyset initialises the set before anything reads it, and the
        // set outlives the calls that use it.
        unsafe {
            let mut set = MaybeUninit::<libc::sigset_t>::uninit();
            libc::sigemptyset(set.as_mut_ptr());
            let mut set = set.assume_init();
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            let error = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            assert_eq!(error, 0, "cannot block SIGINT and SIGTERM");
            StopSignals { set }
        }
    }

    /// Returns once SIGINT or SIGTERM has arrived.
    pub fn wait(&self) {
        let mut signal = 0;
        // SAFETY: both pointers are valid; sigwait only fails for an invalid set.
        let error = unsafe { libc::sigwait(&self.set, &mut signal) };
        assert_eq!(error, 0, "sigwait failed");
    }
}
