//! The `Role` enum as GraphQL sees it, mirrored from the domain.

use async_graphql::Enum;

use crate::domain::role::Role;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "Role", remote = "crate::domain::role::Role")]
pub enum RoleName {
    GridWorker,
    LaneChief,
    StreetChief,
    Dispatcher,
    Manager,
    Admin,
}

pub fn to_domain(roles: &[RoleName]) -> Vec<Role> {
    roles.iter().map(|r| Role::from(*r)).collect()
}
