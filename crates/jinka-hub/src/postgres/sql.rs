//! [`Sql`]: statements run on a client or a transaction, each prepared once per connection
//! (the SQL texts are the engine's constants), with errors mapped to the hub's.

use std::collections::HashMap;

use ::postgres::types::ToSql;
use ::postgres::{GenericClient, Row, Statement};

use crate::error::HubError;
use crate::postgres::storage_error;

/// Most statements kept prepared on one connection (the engine has fewer: the bound only
/// keeps a bug from growing it).
pub(crate) const STATEMENTS_PREPARED_MAX: usize = 256;

/// The statements prepared on one connection, by their text.
#[derive(Default)]
pub(crate) struct Statements(HashMap<&'static str, Statement>);

/// Parameters of a statement.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

/// Statements on `client` (a connection or a transaction on it).
pub(crate) struct Sql<'a, C> {
    client: &'a mut C,
    statements: &'a mut Statements,
}

impl<'a, C: GenericClient> Sql<'a, C> {
    pub(crate) fn new(client: &'a mut C, statements: &'a mut Statements) -> Sql<'a, C> {
        Sql { client, statements }
    }

    /// The client, for what statements cannot do (`COPY`).
    pub(crate) fn client(&mut self) -> &mut C {
        self.client
    }

    fn prepared(&mut self, sql: &'static str) -> Result<Statement, ::postgres::Error> {
        if let Some(statement) = self.statements.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.statements.0.len() >= STATEMENTS_PREPARED_MAX {
            self.statements.0.clear();
        }
        self.statements.0.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs `sql`, the engine's error unmapped (to tell a unique key taken).
    pub(crate) fn execute_raw(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<u64, ::postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.execute(&statement, params)
    }

    /// Runs `sql`: the number of rows it changed.
    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<u64, HubError> {
        self.execute_raw(sql, params).map_err(storage_error)
    }

    /// The rows of `sql`.
    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>, HubError> {
        let statement = self.prepared(sql).map_err(storage_error)?;
        self.client.query(&statement, params).map_err(storage_error)
    }

    /// The row of `sql`, if it has one (`Corrupt` if it has more).
    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, HubError> {
        let statement = self.prepared(sql).map_err(storage_error)?;
        self.client
            .query_opt(&statement, params)
            .map_err(storage_error)
    }

    /// The one row of `sql`, the engine's error unmapped (to tell a unique key taken).
    pub(crate) fn query_one_raw(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Row, ::postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query_one(&statement, params)
    }

    /// The one row of `sql` (`Corrupt` if it has none or more).
    pub(crate) fn query_one(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Row, HubError> {
        let statement = self.prepared(sql).map_err(storage_error)?;
        self.client
            .query_one(&statement, params)
            .map_err(storage_error)
    }
}

/// Column `index` of `row` as `T` (`Corrupt` if its type is not `T`'s).
pub(crate) fn get<'r, T: ::postgres::types::FromSql<'r>>(
    row: &'r Row,
    index: usize,
) -> Result<T, HubError> {
    row.try_get(index).map_err(storage_error)
}
