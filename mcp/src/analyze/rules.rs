//! What `analyze` counts in each language's syntax tree: the node kinds of the tree-sitter
//! grammars that branch, nest, define functions and import, and the patterns worth a suggestion.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use tree_sitter::{Node, Tree};

use super::{Analysis, Language};

/// The grammar of `language`.
pub(super) fn grammar(language: Language) -> tree_sitter::Language {
    match language {
        Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::Javascript => tree_sitter_javascript::LANGUAGE.into(),
    }
}

/// The node kinds one language's figures come from.
struct Rules {
    /// Each adds one to the cyclomatic complexity (operators such as `&&` are node kinds too).
    branches: &'static [&'static str],
    /// Each nests the code inside it one level deeper.
    nesting: &'static [&'static str],
    /// Each defines a function, method or closure.
    functions: &'static [&'static str],
}

const RUST: Rules = Rules {
    branches: &[
        "if_expression",
        "match_arm",
        "while_expression",
        "for_expression",
        "try_expression",
        "&&",
        "||",
    ],
    nesting: &[
        "if_expression",
        "match_expression",
        "while_expression",
        "for_expression",
        "loop_expression",
    ],
    functions: &["function_item", "closure_expression"],
};

const PYTHON: Rules = Rules {
    branches: &[
        "if_statement",
        "elif_clause",
        "for_statement",
        "while_statement",
        "except_clause",
        "conditional_expression",
        "if_clause",
        "case_clause",
        "and",
        "or",
    ],
    nesting: &[
        "if_statement",
        "for_statement",
        "while_statement",
        "try_statement",
        "with_statement",
        "match_statement",
    ],
    functions: &["function_definition", "lambda"],
};

const JAVASCRIPT: Rules = Rules {
    branches: &[
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "switch_case",
        "catch_clause",
        "ternary_expression",
        "&&",
        "||",
        "??",
    ],
    nesting: &[
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "try_statement",
    ],
    functions: &[
        "function_declaration",
        "function_expression",
        "generator_function_declaration",
        "generator_function",
        "arrow_function",
        "method_definition",
    ],
};

/// Patterns worth a suggestion, counted during the walk.
#[derive(Default)]
struct Findings {
    imports: Vec<String>,
    glob_imports: Vec<String>,
    error_lines: BTreeSet<u32>,
    unwraps: u32,
    unsafe_blocks: u32,
    bare_excepts: u32,
    var_declarations: u32,
    loose_equalities: u32,
}

/// Walks `tree` (of `src`) and computes the analysis.
pub(super) fn measure(tree: &Tree, src: &[u8], language: Language) -> Analysis {
    let rules = match language {
        Language::Rust => &RUST,
        Language::Python => &PYTHON,
        Language::Javascript => &JAVASCRIPT,
    };
    let mut findings = Findings::default();
    let (mut branches, mut nesting_depth_max, mut functions) = (0_u32, 0_u32, 0_u32);
    // An explicit stack, not recursion: a deeply nested input must not overflow a worker's stack.
    let mut stack = vec![(tree.root_node(), 0_u32)];
    let mut children = Vec::new();
    while let Some((node, depth)) = stack.pop() {
        let kind = node.kind();
        // Keywords are nodes too (Python's `lambda` node starts with a `lambda` token): only
        // named nodes nest or define; operators such as `&&` are anonymous and still branch.
        let named = node.is_named();
        let depth = if named && rules.nesting.contains(&kind) {
            depth + 1
        } else {
            depth
        };
        nesting_depth_max = nesting_depth_max.max(depth);
        branches += u32::from(rules.branches.contains(&kind));
        functions += u32::from(named && rules.functions.contains(&kind));
        if node.is_error() || node.is_missing() {
            findings.error_lines.insert(line_of(node));
        }
        inspect(language, node, src, &mut findings);
        let mut cursor = node.walk();
        children.extend(node.children(&mut cursor));
        // Reversed, so nodes pop in source order (imports are listed in order of appearance).
        stack.extend(children.drain(..).rev().map(|child| (child, depth)));
    }
    let complexity = 1 + branches;
    let suggestions = suggest(&findings, complexity, nesting_depth_max);
    Analysis {
        language,
        lines: u32::try_from(line_count(src)).unwrap_or(u32::MAX),
        complexity,
        nesting_depth_max,
        functions,
        imports: findings.imports,
        syntax_error_lines: findings.error_lines.into_iter().collect(),
        suggestions,
        cached: false,
    }
}

/// Lines, counting a last line without a newline.
fn line_count(src: &[u8]) -> usize {
    src.split(|&byte| byte == b'\n').count() - usize::from(src.last() == Some(&b'\n'))
}

fn line_of(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX)
}

fn text<'s>(node: Node<'_>, src: &'s [u8]) -> &'s str {
    node.utf8_text(src).unwrap_or("")
}

/// The language-specific findings at one node.
fn inspect(language: Language, node: Node<'_>, src: &[u8], findings: &mut Findings) {
    match (language, node.kind()) {
        (Language::Rust, "use_declaration") => {
            if let Some(path) = node.child_by_field_name("argument") {
                let path = text(path, src).to_owned();
                if path.ends_with('*') {
                    findings.glob_imports.push(path.clone());
                }
                findings.imports.push(path);
            }
        }
        (Language::Rust, "extern_crate_declaration") => {
            if let Some(name) = node.child_by_field_name("name") {
                findings.imports.push(text(name, src).to_owned());
            }
        }
        (Language::Rust, "call_expression") => {
            let method = node
                .child_by_field_name("function")
                .filter(|function| function.kind() == "field_expression")
                .and_then(|function| function.child_by_field_name("field"));
            if method.is_some_and(|field| text(field, src) == "unwrap") {
                findings.unwraps += 1;
            }
        }
        (Language::Rust, "unsafe_block") => findings.unsafe_blocks += 1,
        (Language::Python, "import_statement") => {
            let mut cursor = node.walk();
            for name in node.children_by_field_name("name", &mut cursor) {
                let module = name.child_by_field_name("name").unwrap_or(name);
                findings.imports.push(text(module, src).to_owned());
            }
        }
        (Language::Python, "import_from_statement") => {
            if let Some(module) = node.child_by_field_name("module_name") {
                let module = text(module, src).to_owned();
                let mut cursor = node.walk();
                if node
                    .children(&mut cursor)
                    .any(|child| child.kind() == "wildcard_import")
                {
                    findings.glob_imports.push(module.clone());
                }
                findings.imports.push(module);
            }
        }
        (Language::Python, "except_clause") if node.named_child_count() <= 1 => {
            findings.bare_excepts += 1;
        }
        (Language::Javascript, "import_statement") => {
            if let Some(source) = node.child_by_field_name("source") {
                findings.imports.push(unquote(text(source, src)));
            }
        }
        (Language::Javascript, "call_expression") => {
            let is_require = node
                .child_by_field_name("function")
                .is_some_and(|function| text(function, src) == "require");
            let first = node
                .child_by_field_name("arguments")
                .and_then(|arguments| arguments.named_child(0))
                .filter(|argument| argument.kind() == "string");
            if is_require && let Some(module) = first {
                findings.imports.push(unquote(text(module, src)));
            }
        }
        (Language::Javascript, "variable_declaration") => findings.var_declarations += 1,
        (Language::Javascript, "==" | "!=") => findings.loose_equalities += 1,
        _ => {}
    }
}

fn unquote(literal: &str) -> String {
    literal.trim_matches(['"', '\'', '`']).to_owned()
}

/// The suggestions, most important first.
fn suggest(findings: &Findings, complexity: u32, nesting_depth_max: u32) -> Vec<String> {
    const COMPLEXITY_MAX: u32 = 10;
    const NESTING_MAX: u32 = 3;
    let mut suggestions = Vec::new();
    if !findings.error_lines.is_empty() {
        let mut lines = String::new();
        for (index, line) in findings.error_lines.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(lines, "{separator}{line}");
        }
        suggestions.push(format!(
            "the code has syntax errors (lines {lines}): the figures cover only what parsed"
        ));
    }
    if complexity > COMPLEXITY_MAX {
        suggestions.push(format!(
            "cyclomatic complexity is {complexity} (above {COMPLEXITY_MAX}): split the code \
             into smaller functions"
        ));
    }
    if nesting_depth_max > NESTING_MAX {
        suggestions.push(format!(
            "branches and loops nest {nesting_depth_max} deep: return early or extract the \
             inner blocks"
        ));
    }
    let counted = [
        (
            findings.unwraps,
            "`.unwrap()` call(s): propagate the error with `?` or state the invariant with \
             `expect`",
        ),
        (
            findings.unsafe_blocks,
            "`unsafe` block(s): give each a `// SAFETY:` comment saying why it is sound",
        ),
        (
            findings.bare_excepts,
            "bare `except:` clause(s): catch the exceptions you expect",
        ),
        (
            findings.var_declarations,
            "`var` declaration(s): use `let` or `const`",
        ),
        (
            findings.loose_equalities,
            "loose comparison(s) (`==`, `!=`): use `===` and `!==`",
        ),
    ];
    for (count, advice) in counted {
        if count > 0 {
            suggestions.push(format!("{count} {advice}"));
        }
    }
    for module in &findings.glob_imports {
        suggestions.push(format!(
            "glob import of `{module}`: import the names you use"
        ));
    }
    suggestions
}
