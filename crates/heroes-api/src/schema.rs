//! What the OpenAPI document says a value may be: the same rules [`types`](crate::types)
//! checks, written as JSON Schema, so that a client (or a fuzzer such as
//! schemathesis) that keeps to the document is never refused, and one that
//! does not is refused with a 4xx. Each type here is only a name in the
//! document (`value_type = Name` on a field); the checks stay in `types`.
//! `tests` below hold the patterns to what the checks accept.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::types::{MAX_LIMIT, MAX_NAME_CHARS, MAX_POWERS};

/// No NUL character anywhere: PostgreSQL's `text` and `jsonb` cannot store one.
pub const NO_NUL: &str = r"^[^\u0000]*$";

/// At least one character that is neither NUL nor white space, and no NUL:
/// what `str::trim` leaves non-empty. The white space is Unicode's
/// `White_Space` property, the set `trim` uses, spelt out.
pub const NAME: &str = concat!(
    r"^[^\u0000]*",
    r"[^\u0000\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    r"[^\u0000]*$"
);

/// Up to 10 digits before the point, up to 2 after it, an optional `-`:
/// what `numeric(12,2)` holds without rounding.
pub const SALARY: &str = r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$";

fn string(pattern: &str, max: Option<usize>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(max)
}

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

macro_rules! named {
    ($name:ident, $doc:literal, $schema:expr) => {
        #[doc = $doc]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

named!(
    Name,
    "A name: 1 to 200 characters, not only white space, no NUL.",
    string(NAME, Some(MAX_NAME_CHARS))
        .min_length(Some(1))
        .description(Some("1 to 200 characters, not only white space, no NUL"))
);

named!(
    Text,
    "Free text: up to 200 characters, no NUL.",
    string(NO_NUL, Some(MAX_NAME_CHARS)).description(Some("Up to 200 characters, no NUL"))
);

named!(
    Powers,
    "A hero's powers: up to 50 strings of up to 200 characters, no NUL.",
    ArrayBuilder::new()
        .items(reference::<Text>())
        .max_items(Some(MAX_POWERS))
);

named!(
    Salary,
    "A salary as a decimal string (`\"1234567890.12\"`).",
    string(SALARY, None)
        .format(Some(SchemaFormat::Custom("decimal".to_owned())))
        .description(Some(
            "A decimal string: up to 10 digits before the point and 2 after, an optional leading -"
        ))
        .examples(["1234567890.12"])
);

named!(
    Id,
    "An id: 1 or more (`BIGSERIAL` starts at 1).",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
);

named!(
    Age,
    "An age in years: 0 or more.",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(0))
);

named!(
    Limit,
    "A page size: 1 to 1000.",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(MAX_LIMIT))
);

named!(
    Offset,
    "Rows to skip: 0 or more.",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
);

named!(
    OrderBy,
    "A column to sort by, with an optional leading `-` for descending.",
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["id", "-id", "name", "-name", "age", "-age"]))
);

named!(
    Include,
    "What `GET /teams` may nest: `heroes`.",
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["heroes"]))
);

named!(
    Json,
    "Any JSON value without a NUL character in a string or a key (`jsonb` cannot store one).",
    AnyOfBuilder::new()
        .item(string(NO_NUL, None))
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(ArrayBuilder::new().items(reference::<Json>()))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(reference::<Json>()))
                .property_names(Some(string(NO_NUL, None)))
        )
);

named!(
    ProfileDoc,
    "A hero's profile: a JSON object whose `catchphrase` is a string (or null), whose \
     `weaknesses` are strings, and whose other keys may hold any JSON; no NUL anywhere.",
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "catchphrase",
            AnyOfBuilder::new()
                .item(string(NO_NUL, None))
                .item(ObjectBuilder::new().schema_type(Type::Null))
        )
        .property(
            "weaknesses",
            ArrayBuilder::new().items(string(NO_NUL, None))
        )
        .additional_properties(Some(reference::<Json>()))
        .property_names(Some(string(NO_NUL, None)))
);

named!(
    HeroesIn,
    "The body of `POST /heroes`: one hero, or an array of 1 to 1000.",
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(reference::<crate::types::HeroIn>())
        .item(
            ArrayBuilder::new()
                .items(reference::<crate::types::HeroIn>())
                .min_items(Some(1))
                .max_items(Some(crate::types::MAX_BATCH))
        )
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each pattern accepts what the checks of `types` accept, no more, no less.
    #[test]
    fn the_patterns_say_what_the_checks_accept() {
        let regex = |pattern: &str| regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
        let (name, no_nul, salary) = (regex(NAME), regex(NO_NUL), regex(SALARY));
        let samples = [
            "",
            " ",
            "a",
            " a ",
            "\u{1c}",
            "\u{a0}",
            "\u{3000}x",
            "\u{2000}\u{200a}",
            "\u{85}",
            "\u{feff}",
            "a\0b",
            "\0",
            "\t\n",
            "日本",
            "\u{200b}",
            "1.5",
            "-0.01",
            "12345678901",
            "0.125",
            "1.",
            ".5",
            "+1",
            "1e3",
            "٣",
            "9999999999.99",
            "-",
        ];
        for sample in samples {
            let checked = crate::types::name("name", sample.to_owned()).is_ok();
            assert_eq!(name.is_match(sample), checked, "name {sample:?}");
            let checked = crate::types::text("text", sample.to_owned()).is_ok();
            assert_eq!(no_nul.is_match(sample), checked, "text {sample:?}");
            let checked = crate::types::salary(sample).is_ok();
            assert_eq!(salary.is_match(sample), checked, "salary {sample:?}");
        }
    }
}
