//! What a sub-command prints: a table with mqadmin's columns (or free text), and the same data
//! as one JSON document for `--json`.

use serde_json::Value;

/// A table: headers as mqadmin prints them (`#Cluster Name`, ...) and rows of cells.
#[derive(Debug, Default, Clone)]
pub struct Table {
    /// Column headers, printed as given.
    pub headers: Vec<String>,
    /// Rows; each has one cell per header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows
            .push(cells.into_iter().map(|c| c.to_string()).collect());
    }

    /// Left-aligned columns, two spaces apart, each as wide as its widest cell.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(cell);
                } else {
                    let w = widths.get(i).copied().unwrap_or(0);
                    s.push_str(&format!("{cell:<w$}  "));
                }
            }
            s.trim_end().to_owned()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// A sub-command's result: what it prints for people and for scripts.
#[derive(Debug, Clone)]
pub struct Report {
    /// The human text (a rendered table, key/value lines, ...).
    pub text: String,
    /// The same data for `--json`.
    pub json: Value,
}

impl Report {
    /// A report made of one table; `json` is its JSON form.
    pub fn table(table: &Table, json: Value) -> Self {
        Report {
            text: table.render(),
            json,
        }
    }

    /// Prints the report on stdout.
    pub fn print(&self, json: bool) {
        if json {
            match serde_json::to_string_pretty(&self.json) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("rmq-admin: cannot print JSON: {e}"),
            }
        } else {
            print!("{}", self.text);
        }
    }
}
