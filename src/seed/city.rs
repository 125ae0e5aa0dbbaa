//! The synthetic city as database rows: the places of [`synthetic_city`] with their people
//! (chiefs, grid workers, dispatchers, a manager, an admin). Pure: ids are handed out from the
//! given bases, nothing is read or written.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::geometry::to_geojson;
use crate::domain::places::PlaceKind;
use crate::domain::role::Role;
use crate::domain::routing::{Chief, Place, synthetic_city};
use crate::entity::{app_user, grid_worker, jurisdiction, user_role, user_scope};

/// Domain of every seeded login.
pub const EMAIL_DOMAIN: &str = "seed.gridloop";
/// Grids patrolled by one grid worker.
pub const GRIDS_PER_WORKER: usize = 4;

/// What the city is built from.
#[derive(Debug, Clone)]
pub struct CityParams {
    pub grids: usize,
    pub lanes: usize,
    pub seed: u64,
    /// Seeded users get ids above this.
    pub user_base: i64,
    /// Seeded places get ids above this.
    pub place_base: i64,
    /// One PHC string shared by every seeded login.
    pub password_hash: String,
    pub now: DateTime<Utc>,
}

/// The city's rows, plus what the ticket generator needs to know about it.
#[derive(Debug, Clone, Default)]
pub struct CityPlan {
    pub users: Vec<app_user::Model>,
    pub roles: Vec<user_role::Model>,
    pub scopes: Vec<user_scope::Model>,
    pub places: Vec<jurisdiction::Model>,
    pub workers: Vec<grid_worker::Model>,
    /// The places with database ids and chiefs, for [`crate::domain::routing::RoutingIndex`].
    pub routing_places: Vec<Place>,
    /// Materialised path of every place, by id.
    pub paths: HashMap<i64, String>,
    /// The grid worker of each grid.
    pub worker_of_grid: HashMap<i64, i64>,
    /// The dispatcher of each town.
    pub dispatcher_of_town: HashMap<i64, i64>,
    /// The district-wide dispatcher (unplaced tickets).
    pub head_dispatcher: i64,
    pub manager: i64,
    pub admin: i64,
    /// Street chiefs, for tickets a dispatcher must hand to someone by hand.
    pub street_chiefs: Vec<i64>,
    /// The chief of each street (by street id).
    pub chief_of: HashMap<i64, i64>,
}

/// Builds the city's rows.
pub fn plan_city(p: &CityParams) -> CityPlan {
    let raw = synthetic_city(p.grids, p.lanes, p.seed);
    let mut plan = CityPlan::default();
    let mut ids_by_code: HashMap<String, i64> = HashMap::with_capacity(raw.len());
    let mut per_kind: HashMap<&'static str, usize> = HashMap::new();
    let mut next_user = p.user_base
        + raw
            .iter()
            .filter_map(|pl| pl.chief.as_ref().map(|c| c.user_id))
            .max()
            .unwrap_or(0);
    for place in raw {
        let id = p.place_base + place.id;
        let parent_id = place
            .parent_code
            .as_ref()
            .and_then(|c| ids_by_code.get(c).copied());
        let parent_path = parent_id
            .and_then(|pid| plan.paths.get(&pid).cloned())
            .unwrap_or_else(|| "/".into());
        let path = format!("{parent_path}{id}/");
        ids_by_code.insert(place.code.clone(), id);
        plan.paths.insert(id, path.clone());
        let chief = place.chief.as_ref().map(|c| Chief {
            user_id: p.user_base + c.user_id,
            name: c.name.clone(),
        });
        if let Some(c) = &chief {
            let (login, role) = match place.kind {
                PlaceKind::Town => ("town", Role::Manager),
                PlaceKind::Community => ("community", Role::StreetChief),
                PlaceKind::Street => ("street", Role::StreetChief),
                _ => ("lane", Role::LaneChief),
            };
            let n = per_kind.entry(login).or_default();
            *n += 1;
            plan.person(c.user_id, &format!("{login}{n}"), &c.name, role, p);
            plan.scope(c.user_id, id);
            if place.kind == PlaceKind::Street {
                plan.street_chiefs.push(c.user_id);
                plan.chief_of.insert(id, c.user_id);
            }
        }
        let street_tree = place.kind.is_street_tree();
        plan.places.push(jurisdiction::Model {
            id,
            code: place.code.clone(),
            kind: place.kind.as_str().to_string(),
            name: place.name.clone(),
            parent_id,
            path,
            depth: i32::from(place.kind.depth()),
            chief_id: chief.as_ref().map(|c| c.user_id),
            buffer_meters: street_tree.then_some(place.buffer_meters),
            geometry: place.geometry.as_ref().map(to_geojson),
            created_at: p.now,
            updated_at: p.now,
        });
        plan.routing_places.push(Place { id, chief, ..place });
    }
    plan.staff(&mut next_user, p);
    plan
}

impl CityPlan {
    fn person(&mut self, id: i64, login: &str, name: &str, role: Role, p: &CityParams) {
        self.users.push(app_user::Model {
            id,
            email: format!("{login}@{EMAIL_DOMAIN}"),
            name: name.to_string(),
            phone: None,
            password_hash: p.password_hash.clone(),
            disabled: false,
            locale: "zh".into(),
            created_at: p.now,
            updated_at: p.now,
        });
        self.roles.push(user_role::Model {
            user_id: id,
            role: role.as_str().to_string(),
        });
    }

    fn scope(&mut self, user_id: i64, jurisdiction_id: i64) {
        self.scopes.push(user_scope::Model {
            user_id,
            jurisdiction_id,
        });
    }

    /// The people who hold no place of their own: admin, manager, dispatchers, grid workers.
    fn staff(&mut self, next: &mut i64, p: &CityParams) {
        let mut fresh = || {
            *next += 1;
            *next
        };
        let district = self
            .places
            .iter()
            .find(|j| j.kind == PlaceKind::District.as_str())
            .map(|j| j.id);
        self.admin = fresh();
        self.person(self.admin, "admin", "管理员", Role::Admin, p);
        self.manager = fresh();
        self.person(self.manager, "manager", "区管理者", Role::Manager, p);
        self.head_dispatcher = fresh();
        self.person(
            self.head_dispatcher,
            "dispatcher",
            "指挥中心",
            Role::Dispatcher,
            p,
        );
        if let Some(d) = district {
            self.scope(self.manager, d);
            self.scope(self.head_dispatcher, d);
        }
        let towns: Vec<i64> = self.kind_ids(PlaceKind::Town);
        for (n, town) in towns.into_iter().enumerate() {
            let id = fresh();
            let login = format!("dispatcher{}", n + 1);
            self.person(id, &login, &format!("派遣员{}", n + 1), Role::Dispatcher, p);
            self.scope(id, town);
            self.dispatcher_of_town.insert(town, id);
        }
        let grids: Vec<i64> = self.kind_ids(PlaceKind::Grid);
        for (n, block) in grids.chunks(GRIDS_PER_WORKER).enumerate() {
            let id = fresh();
            let login = format!("worker{}", n + 1);
            self.person(id, &login, &format!("网格员{}", n + 1), Role::GridWorker, p);
            for &grid in block {
                self.scope(id, grid);
                self.workers.push(grid_worker::Model {
                    grid_id: grid,
                    user_id: id,
                });
                self.worker_of_grid.insert(grid, id);
            }
        }
    }

    fn kind_ids(&self, kind: PlaceKind) -> Vec<i64> {
        self.places
            .iter()
            .filter(|j| j.kind == kind.as_str())
            .map(|j| j.id)
            .collect()
    }

    /// How many seeded logins have this prefix (`worker`, `lane`, `street`, …).
    pub fn count_logins(&self, prefix: &str) -> usize {
        self.users
            .iter()
            .filter(|u| {
                u.email
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| c.is_ascii_digit())
            })
            .count()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn params() -> CityParams {
        CityParams {
            grids: 400,
            lanes: 100,
            seed: 3,
            user_base: 10,
            place_base: 1_000,
            password_hash: "phc".into(),
            now: Utc::now(),
        }
    }

    #[test]
    fn ids_emails_and_paths_are_consistent() {
        let plan = plan_city(&params());
        let users: HashSet<i64> = plan.users.iter().map(|u| u.id).collect();
        assert_eq!(users.len(), plan.users.len(), "user ids are unique");
        assert!(plan.users.iter().all(|u| u.id > 10));
        let emails: HashSet<&str> = plan.users.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails.len(), plan.users.len(), "emails are unique");
        for j in &plan.places {
            assert!(j.id > 1_000);
            assert!(j.chief_id.is_none_or(|c| users.contains(&c)));
            let parent = j.parent_id.map(|p| plan.paths[&p].clone());
            assert_eq!(
                j.path,
                format!("{}{}/", parent.unwrap_or_else(|| "/".into()), j.id)
            );
        }
        assert_eq!(plan.count_logins("worker"), 100);
        assert_eq!(plan.workers.len(), 400);
        assert!(plan.count_logins("lane") > 50);
        assert!(plan.roles.iter().all(|r| users.contains(&r.user_id)));
    }
}
