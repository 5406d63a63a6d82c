//! The compiled form of an SQL92 selector: RocketMQ's expression tree, node for node.

/// A literal written in the expression. Java gives a decimal literal that fits an `int` the
/// type `Integer`, a larger one `Long`; a floating-point literal is a `Double`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'` (quotes doubled inside).
    Str(String),
    /// A decimal literal within `i32`.
    Int(i32),
    /// A decimal literal beyond `i32` (an `l`/`L` suffix does not matter).
    Long(i64),
    /// A floating-point literal.
    Double(f64),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// `NULL`.
    Null,
}

impl Literal {
    /// Whether Java models this literal as a boolean expression (`TRUE`, `FALSE`, `NULL`).
    pub fn is_boolean(&self) -> bool {
        matches!(self, Literal::Bool(_) | Literal::Null)
    }
}

/// `>`, `>=`, `<`, `<=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// The 5.x string tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    /// `CONTAINS 'x'`
    Contains,
    /// `STARTSWITH 'x'`
    StartsWith,
    /// `ENDSWITH 'x'`
    EndsWith,
}

/// One node of a selector.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant.
    Literal(Literal),
    /// A message property (user property or a system one such as `TAGS`), by exact name.
    Property(String),
    /// Unary minus (numbers only; anything else is unknown).
    Negate(Box<Expr>),
    /// `NOT` (unknown stays unknown).
    Not(Box<Expr>),
    /// A property used where a boolean is expected: true only for a `Boolean` value, which a
    /// message property (always a string) never is.
    BoolCast(Box<Expr>),
    /// `AND` (three-valued).
    And(Box<Expr>, Box<Expr>),
    /// `OR` (three-valued).
    Or(Box<Expr>, Box<Expr>),
    /// `=` and `IS NULL` (`<>` and `IS NOT NULL` are `NOT` of it).
    Equal(Box<Expr>, Box<Expr>),
    /// `>`, `>=`, `<`, `<=` (`BETWEEN` is two of them joined by `AND`/`OR`).
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `prop IN ('a', 'b')` or `NOT IN`.
    In {
        /// The property tested.
        property: String,
        /// The listed strings.
        list: Vec<String>,
        /// `NOT IN`.
        not: bool,
    },
    /// `x CONTAINS 's'` and the like, or their `NOT` forms.
    Str {
        /// Which test.
        op: StrOp,
        /// The `NOT` form.
        not: bool,
        /// What is tested.
        operand: Box<Expr>,
        /// The literal searched for.
        search: String,
    },
}

impl Expr {
    /// Whether Java's tree node here is a `BooleanExpression` (what `AND`, `OR`, `NOT` and the
    /// whole selector need, and what `>`/`<` refuse as an operand).
    pub fn is_boolean(&self) -> bool {
        match self {
            Expr::Literal(l) => l.is_boolean(),
            Expr::Property(_) | Expr::Negate(_) => false,
            Expr::Not(_)
            | Expr::BoolCast(_)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Equal(..)
            | Expr::Compare(..)
            | Expr::In { .. }
            | Expr::Str { .. } => true,
        }
    }
}
