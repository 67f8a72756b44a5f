//! Finding the dotted key at a byte offset of a TOML document, for errors that serde reports
//! with a span but without the key's full path (an unknown key, a value of the wrong type).

use toml::de::{DeTable, DeValue};

/// The dotted path of the innermost key whose name or value covers `offset`.
pub(super) fn key_at(text: &str, offset: usize) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    find(root.get_ref(), offset, &mut path).then(|| path.join("."))
}

fn find(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        // Children first: a table's own span may be only its header.
        if let DeValue::Table(child) = value.get_ref()
            && find(child, offset, path)
        {
            return true;
        }
        if key.span().contains(&offset) || value.span().contains(&offset) {
            return true;
        }
        path.pop();
    }
    false
}

/// For syntax errors, where there is no document to walk: the `[table]` header above `line`
/// (1-based) and the bare key before `=` on that line, as far as they can be read.
pub(super) fn key_on_line(text: &str, line: u32) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let here = lines.get(index)?.trim();
    let table = lines[..index].iter().rev().find_map(|l| {
        let l = l.trim();
        l.starts_with('[')
            .then(|| l.trim_matches(['[', ']']).trim().to_owned())
    });
    if here.starts_with('[') {
        return Some(here.trim_matches(['[', ']']).trim().to_owned());
    }
    let key = here
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty());
    match (table, key) {
        (Some(table), Some(key)) => Some(format!("{table}.{key}")),
        (None, Some(key)) => Some(key.to_owned()),
        (table, None) => table,
    }
}
