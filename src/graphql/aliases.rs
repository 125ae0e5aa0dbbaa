//! Bounds the aliases in one document. Depth and complexity limits do not stop
//! `{ a1: me { id } a2: me { id } … a1000: … }`: each copy is cheap on paper, but each one
//! runs its resolver. Counted right after parsing, so an over-limit request never executes.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

use crate::error::ErrorCode;

/// Most aliased fields one document may hold (operations and fragments together).
pub const MAX_ALIASES: usize = 100;

/// Factory registered on the schema.
pub struct AliasLimit;

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension)
    }
}

struct AliasLimitExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&doc);
        if aliases > MAX_ALIASES {
            let mut err = ServerError::new(
                format!("the query has {aliases} aliases; at most {MAX_ALIASES} are allowed"),
                None,
            );
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::GraphqlValidationFailed.as_str());
            return Err(err);
        }
        Ok(doc)
    }
}

/// Aliased fields in every operation and fragment of the document, each counted once where
/// it is written.
pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    let mut stack: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node))
        .collect();
    let mut count = 0;
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    count += usize::from(field.node.alias.is_some());
                    stack.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => {
                    stack.push(&inline.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(query: &str) -> usize {
        count_aliases(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn aliases_are_counted_in_nested_selections_inline_fragments_and_fragments() {
        let q = "query { a: me { b: id ... on User { c: name } } ...F } fragment F on QueryRoot { d: me { id } }";
        assert_eq!(count(q), 4);
    }

    #[test]
    fn plain_fields_are_not_aliases() {
        assert_eq!(count("{ me { id name } apiVersion }"), 0);
    }
}
