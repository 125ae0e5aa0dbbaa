//! Who is acting: the authenticated user with roles and scope, and the guards every use case calls.

use crate::domain::role::Role;

use super::error::{ServiceError, ServiceResult};

/// A jurisdiction node the user belongs to; its subtree is in scope.
#[derive(Debug, Clone)]
pub struct ScopeNode {
    pub id: i64,
    pub code: String,
    pub kind: String,
    /// Materialised path, e.g. `/1/4/`.
    pub path: String,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub scope: Vec<ScopeNode>,
}

impl Viewer {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// Fails with FORBIDDEN unless the viewer holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> ServiceResult<()> {
        if roles.iter().any(|r| self.has_role(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ServiceError::forbidden(format!(
                "requires one of the roles {}",
                names.join(", ")
            )))
        }
    }

    /// True when the node at `path` lies inside the viewer's scope. Admins see everything.
    pub fn covers_path(&self, path: &str) -> bool {
        self.is_admin() || self.scope.iter().any(|s| path.starts_with(&s.path))
    }

    /// The path prefixes a scoped list query filters by; `None` means unrestricted (admin).
    pub fn scope_prefixes(&self) -> Option<Vec<String>> {
        if self.is_admin() {
            None
        } else {
            Some(self.scope.iter().map(|s| s.path.clone()).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(roles: Vec<Role>, paths: &[&str]) -> Viewer {
        Viewer {
            user_id: 1,
            email: "a@b.c".into(),
            name: "A".into(),
            roles,
            scope: paths
                .iter()
                .enumerate()
                .map(|(i, p)| ScopeNode {
                    id: i as i64,
                    code: format!("c{i}"),
                    kind: "TOWN".into(),
                    path: (*p).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_manager_covers_their_subtree_only() {
        let v = viewer(vec![Role::Manager], &["/1/2/"]);
        assert!(v.covers_path("/1/2/"));
        assert!(v.covers_path("/1/2/9/"));
        assert!(!v.covers_path("/1/3/"));
        assert!(!v.covers_path("/1/"));
    }

    #[test]
    fn a_path_prefix_does_not_match_a_longer_sibling_id() {
        let v = viewer(vec![Role::Manager], &["/1/2/"]);
        assert!(!v.covers_path("/1/22/"));
    }

    #[test]
    fn admins_cover_everything() {
        let v = viewer(vec![Role::Admin], &[]);
        assert!(v.covers_path("/7/8/"));
        assert!(v.scope_prefixes().is_none());
    }

    #[test]
    fn require_any_names_the_roles_needed() {
        let v = viewer(vec![Role::GridWorker], &[]);
        let err = v.require_any(&[Role::Admin]).unwrap_err();
        assert!(err.to_string().contains("ADMIN"));
    }
}
