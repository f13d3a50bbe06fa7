//! CPU time and page faults of the process, for `--stats`: wall time on a
//! shared host moves with its neighbours; user and system time (page
//! faults are system time) say where the time went.

/// The process's CPU time and page faults so far (`getrusage`).
pub struct Usage {
    pub user_s: f64,
    pub system_s: f64,
    pub minor_faults: i64,
}

impl Usage {
    #[cfg(unix)]
    pub fn now() -> Option<Usage> {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `usage` is a valid place for the struct; getrusage
        // fills it or fails without touching it.
        let usage = unsafe {
            if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
                return None;
            }
            usage.assume_init()
        };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(Usage {
            user_s: secs(usage.ru_utime),
            system_s: secs(usage.ru_stime),
            minor_faults: usage.ru_minflt as i64,
        })
    }

    #[cfg(not(unix))]
    pub fn now() -> Option<Usage> {
        None
    }

    pub fn since(&self, before: &Usage) -> Usage {
        Usage {
            user_s: self.user_s - before.user_s,
            system_s: self.system_s - before.system_s,
            minor_faults: self.minor_faults - before.minor_faults,
        }
    }
}
