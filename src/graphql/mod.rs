//! The GraphQL API: thin resolvers that parse input, call a service and map the result.

pub mod aliases;
mod auth;
mod calendars;
mod categories;
pub mod codes;
pub mod context;
pub mod error;
pub mod ids;
pub mod loaders;
mod node;
mod notifications;
mod places;
mod statistics;
mod system;
mod ticket_actions;
mod tickets;
pub mod types;
mod users;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

pub use error::{ApiError, ApiResult};

/// Deepest selection nesting a query may have.
pub const MAX_DEPTH: usize = 12;
/// Largest total cost a query may have; connection sizes multiply their children.
pub const MAX_COMPLEXITY: usize = 5_000;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    system::SystemQuery,
    auth::AuthQuery,
    users::UsersQuery,
    categories::CategoriesQuery,
    places::PlacesQuery,
    node::NodeQuery,
    tickets::TicketsQuery,
    calendars::CalendarsQuery,
    notifications::NotificationsQuery,
    statistics::StatisticsQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    system::SystemMutation,
    auth::AuthMutation,
    users::UsersMutation,
    categories::CategoriesMutation,
    places::PlacesMutation,
    ticket_actions::TicketMutation,
    calendars::CalendarsMutation,
    notifications::NotificationsMutation,
);

pub type GridloopSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The schema with its limits and extensions, before any runtime data is attached.
pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_directives(8)
    .extension(codes::ErrorCodes)
    .extension(aliases::AliasLimit)
}

/// The SDL committed at `schema/schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
