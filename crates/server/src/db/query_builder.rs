//! A statement built at run time (optional filters, many rows in one
//! INSERT). sqlx's own `QueryBuilder` writes `?` for `sqlx::Any`, which
//! PostgreSQL does not read; this one writes `$1, $2, ...`, which both
//! backends do, or, for the statements of thousands of values on SQLite,
//! `?` ([`Placeholders`]). The same methods as sqlx's, so the table modules
//! read as before.

use std::fmt::{Display, Write};

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Arguments, Encode, FromRow, Type};

use super::Backend;

/// How a statement names its bound values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// `$1, $2, ...`: both backends.
    Numbered,
    /// `?`: SQLite only. SQLite keeps named and numbered parameters in a
    /// list it searches for each one, when parsing and again when sqlx binds
    /// them: a push of 200 visits (2,200 values) spent three quarters of its
    /// time there (perf: `sqlite3_bind_parameter_name`, `strncmp`).
    Anonymous,
}

impl Placeholders {
    /// What suits the backend for statements with many values.
    pub fn for_backend(kind: super::Kind) -> Self {
        match kind {
            super::Kind::Sqlite => Placeholders::Anonymous,
            super::Kind::Postgres => Placeholders::Numbered,
        }
    }
}

pub struct QueryBuilder<'q> {
    sql: String,
    arguments: Option<AnyArguments<'q>>,
    placeholders: Placeholders,
}

impl<'q> QueryBuilder<'q> {
    /// A statement with numbered placeholders (both backends).
    pub fn new(init: impl Into<String>) -> Self {
        Self::with_placeholders(Placeholders::Numbered, init)
    }

    pub fn with_placeholders(placeholders: Placeholders, init: impl Into<String>) -> Self {
        QueryBuilder {
            sql: init.into(),
            arguments: Some(AnyArguments::default()),
            placeholders,
        }
    }

    /// Appends SQL text as it is (never a value from a request: bind those).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        write!(self.sql, "{sql}").expect("writing to a String");
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Backend> + Type<Backend>,
    {
        let arguments = self
            .arguments
            .as_mut()
            .expect("QueryBuilder used after build");
        arguments.add(value).expect("encoding a bound value");
        match self.placeholders {
            Placeholders::Numbered => {
                let n = arguments.len();
                write!(self.sql, "${n}").expect("writing to a String");
            }
            Placeholders::Anonymous => self.sql.push('?'),
        }
        self
    }

    /// Appends `VALUES (...), (...)`: `row` binds each item's columns.
    pub fn push_values<I, F>(&mut self, items: I, mut row: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(Separated<'_, 'q>, I::Item),
    {
        self.push("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(");
            row(
                Separated {
                    builder: self,
                    first: true,
                },
                item,
            );
            self.push(")");
        }
        self
    }

    fn take_arguments(&mut self) -> AnyArguments<'q> {
        self.arguments.take().expect("QueryBuilder built twice")
    }

    pub fn build(&mut self) -> Query<'_, Backend, AnyArguments<'_>> {
        let arguments = self.take_arguments();
        sqlx::query_with(&self.sql, arguments)
    }

    pub fn build_query_as<T>(&mut self) -> QueryAs<'_, Backend, T, AnyArguments<'_>>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        let arguments = self.take_arguments();
        sqlx::query_as_with(&self.sql, arguments)
    }

    pub fn build_query_scalar<T>(&mut self) -> QueryScalar<'_, Backend, T, AnyArguments<'_>>
    where
        (T,): for<'r> FromRow<'r, AnyRow>,
    {
        let arguments = self.take_arguments();
        sqlx::query_scalar_with(&self.sql, arguments)
    }

    /// The statement as built so far.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// One row of [`QueryBuilder::push_values`]: bound values separated by commas.
pub struct Separated<'b, 'q> {
    builder: &'b mut QueryBuilder<'q>,
    first: bool,
}

impl<'q> Separated<'_, 'q> {
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Backend> + Type<Backend>,
    {
        if !self.first {
            self.builder.push(", ");
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_bound() {
        let mut q = QueryBuilder::new("INSERT INTO t (a, b) ");
        q.push_values([(1_i64, "x"), (2, "y")], |mut b, (n, s)| {
            b.push_bind(n).push_bind(s);
        });
        q.push(" WHERE c = ").push_bind(3_i64);
        assert_eq!(
            q.sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c = $5"
        );
        let mut q = QueryBuilder::with_placeholders(Placeholders::Anonymous, "SELECT ");
        q.push_bind(1_i64).push(", ").push_bind(2_i64);
        assert_eq!(q.sql(), "SELECT ?, ?");
    }
}
