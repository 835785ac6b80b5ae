//! [`StateView`]: the container records read straight from the state database, for a process
//! that must not join the rootless user namespace (the multi-threaded API service: a process
//! with threads cannot `setns` into a user namespace). The database is the user's own file, so
//! reading it needs no namespace. The view never writes: a record whose process is gone reads
//! as not current, and the caller asks a CLI child, which repairs the row.

use super::{GlobalOptions, Runtime};
use crate::container::Container;
use crate::error::Result;
use crate::health::state::HealthState;
use crate::paths::Paths;
use crate::state::{ContainerSummary, State};

pub struct StateView {
    state: State,
    paths: Paths,
}

impl StateView {
    pub fn open(opts: &GlobalOptions) -> Result<StateView> {
        let paths = Runtime::paths_for(opts)?;
        Ok(StateView {
            state: State::open(&paths.db())?,
            paths,
        })
    }

    /// The record of a container by name, full id or unique id prefix.
    pub fn lookup(&self, name_or_id: &str) -> Result<Container> {
        self.state.lookup(name_or_id)
    }

    /// Whether the record's status can be trusted: false when it says the process runs while
    /// the process is gone (a killed monitor; `Runtime::lookup` repairs that).
    pub fn is_current(c: &Container) -> bool {
        !super::lifecycle::is_stale(&c.state)
    }

    /// As [`StateView::is_current`], for a listing row.
    pub fn is_current_row(c: &ContainerSummary) -> bool {
        !super::lifecycle::is_stale(&c.state)
    }

    /// The recorded health of a running container with a healthcheck (as `ps` shows it).
    pub fn health(&self, id: &str) -> Option<HealthState> {
        HealthState::load(&crate::health::state::state_path(&self.paths, id))
    }

    /// Every container's list row (`ps -a`), oldest first.
    pub fn summaries(&self) -> Result<Vec<ContainerSummary>> {
        self.state.list_summaries(false)
    }
}
