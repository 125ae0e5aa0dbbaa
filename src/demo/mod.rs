//! `serve --demo`: a realistic demo town on an empty database.

pub mod tickets;
pub mod town;

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::domain::role::Role;
use crate::entity::app_user;
use crate::service::users::{self, NewUser};
use crate::service::{Actor, ServiceError, places};
use crate::state::AppState;

use town::{DEMO_PASSWORD, demo_town};

/// How many tickets the demo town starts with.
pub const DEMO_TICKETS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Service(#[from] ServiceError),
}

/// Seeds the demo town once; a database that already has users is left alone.
pub async fn seed(state: &AppState) -> Result<(), DemoError> {
    if app_user::Entity::find().count(&state.db).await? > 0 {
        tracing::info!("demo mode: database already has users; nothing seeded");
        return Ok(());
    }
    let town = demo_town();
    for u in &town.users {
        users::create_user(
            state,
            Actor::System,
            NewUser {
                email: u.email.clone(),
                name: u.name.clone(),
                phone: Some(u.phone.clone()),
                roles: u.roles.iter().filter_map(|r| Role::parse(r)).collect(),
                scope_codes: Vec::new(),
                password: Some(DEMO_PASSWORD.into()),
                locale: None,
            },
        )
        .await?;
    }
    places::import_jurisdictions(state, Actor::System, &town.geojson).await?;
    for u in &town.users {
        let user = users::get_by_email(state, &u.email).await?;
        users::update_user(
            state,
            Actor::System,
            user.id,
            users::UserUpdate {
                scope_codes: Some(u.scope.clone()),
                ..Default::default()
            },
        )
        .await?;
    }
    tickets::seed(state, DEMO_TICKETS).await?;
    print_logins(&town.users);
    Ok(())
}

fn print_logins(people: &[town::DemoUser]) {
    println!("gridloop demo logins (password: {DEMO_PASSWORD}):");
    for u in people {
        println!("  {:<28} {:<14} {}", u.email, u.roles.join(","), u.name);
    }
}
