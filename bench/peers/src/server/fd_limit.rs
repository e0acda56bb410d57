//! Raises the soft limit on open files to the hard one, as nginx's worker_rlimit_nofile
//! or Go's runtime do, so that thousands of connections do not hit the usual 1024.

/// Best effort: a server that cannot raise its limit still serves what it can.
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for both calls.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    limit.rlim_cur = limit.rlim_max;
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
}
