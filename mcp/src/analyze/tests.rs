use std::time::{Duration, Instant};

use super::cache::LruTtl;
use super::{AnalyzeArgs, AnalyzerActor, AnalyzerConfig, Language, analyze};

#[test]
fn rust_branches_nesting_functions_imports_and_unwraps_are_counted() {
    let code = "use std::collections::HashMap;\nuse std::io::*;\nextern crate serde;\n\n\
                fn f(x: Option<u32>, y: bool) -> u32 {\n    \
                    if y && x.is_some() {\n        \
                        for i in 0..3 {\n            \
                            if i > 1 { return x.unwrap(); }\n        \
                        }\n    \
                    }\n    \
                    match x { Some(v) => v, None => 0 }\n}\n\
                fn g() { let h = |a: u32| a + 1; }\n";
    let analysis = analyze(code, Language::Rust);
    // 1 + if + && + for + if + two match arms.
    assert_eq!(analysis.complexity, 7, "{analysis:?}");
    assert_eq!(analysis.nesting_depth_max, 3, "{analysis:?}");
    assert_eq!(analysis.functions, 3, "{analysis:?}"); // f, g and the closure
    assert_eq!(
        analysis.imports,
        ["std::collections::HashMap", "std::io::*", "serde"]
    );
    assert!(analysis.syntax_error_lines.is_empty(), "{analysis:?}");
    assert_eq!(analysis.lines, 13);
    let suggestions = analysis.suggestions.join("\n");
    assert!(suggestions.contains("1 `.unwrap()`"), "{suggestions}");
    assert!(
        suggestions.contains("glob import of `std::io::*`"),
        "{suggestions}"
    );
}

#[test]
fn python_imports_branches_and_bare_excepts_are_counted() {
    let code = "import os, numpy as np\nfrom collections import *\n\n\
                def f(xs):\n    \
                    try:\n        \
                        return [x for x in xs if x and x > 1]\n    \
                    except:\n        \
                        return None\n\n\
                g = lambda y: y if y else 0\n";
    let analysis = analyze(code, Language::Python);
    // 1 + comprehension if + and + except + conditional expression.
    assert_eq!(analysis.complexity, 5, "{analysis:?}");
    assert_eq!(analysis.functions, 2, "{analysis:?}");
    assert_eq!(analysis.imports, ["os", "numpy", "collections"]);
    assert_eq!(analysis.nesting_depth_max, 1, "{analysis:?}");
    let suggestions = analysis.suggestions.join("\n");
    assert!(suggestions.contains("1 bare `except:`"), "{suggestions}");
    assert!(
        suggestions.contains("glob import of `collections`"),
        "{suggestions}"
    );
}

#[test]
fn javascript_imports_requires_var_and_loose_equality_are_found() {
    let code = "import React from 'react';\nconst fs = require(\"fs\");\n\
                var n = 0;\n\
                function f(a) { if (a == 1 || a === 2) { return a ?? 0; } return a ? 1 : 2; }\n\
                const g = (x) => x;\n";
    let analysis = analyze(code, Language::Javascript);
    // 1 + if + || + ?? + ternary.
    assert_eq!(analysis.complexity, 5, "{analysis:?}");
    assert_eq!(analysis.functions, 2, "{analysis:?}");
    assert_eq!(analysis.imports, ["react", "fs"]);
    let suggestions = analysis.suggestions.join("\n");
    assert!(suggestions.contains("1 `var`"), "{suggestions}");
    assert!(suggestions.contains("1 loose comparison"), "{suggestions}");
}

#[test]
fn syntax_errors_are_reported_by_line() {
    let analysis = analyze("fn ok() {}\nfn broken( {\n", Language::Rust);
    assert!(!analysis.syntax_error_lines.is_empty(), "{analysis:?}");
    assert!(
        analysis.suggestions[0].starts_with("the code has syntax errors"),
        "{analysis:?}"
    );
}

#[test]
fn deeply_nested_code_is_walked_without_recursion() {
    let depth = 5_000;
    let code = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let analysis = analyze(&code, Language::Python);
    assert_eq!(analysis.complexity, 1);
}

#[test]
fn the_actor_serves_a_repeated_snippet_from_its_cache_until_the_ttl_passes() {
    let config = AnalyzerConfig {
        cache_ttl: Duration::from_mins(1),
        ..AnalyzerConfig::default()
    };
    let mut actor = AnalyzerActor::new(config);
    let args = || AnalyzeArgs {
        code: "def f(): pass\n".to_owned(),
        language: Language::Python,
    };
    let now = Instant::now();
    let first = actor.answer(args(), now);
    assert!(!first.cached);
    let second = actor.answer(args(), now + Duration::from_secs(1));
    assert!(second.cached);
    assert_eq!(
        super::Analysis {
            cached: false,
            ..second
        },
        first
    );
    let later = actor.answer(args(), now + Duration::from_secs(61));
    assert!(!later.cached);
    // The same code in another language is another entry.
    let rust = actor.answer(
        AnalyzeArgs {
            code: "def f(): pass\n".to_owned(),
            language: Language::Rust,
        },
        now,
    );
    assert!(!rust.cached);
    assert_eq!(rust.language, Language::Rust);
}

const TTL: Duration = Duration::from_mins(1);

#[test]
fn a_full_cache_evicts_the_least_recently_used_entry() {
    let now = Instant::now();
    let mut cache = LruTtl::new(2, TTL);
    cache.insert("a", 1, now);
    cache.insert("b", 2, now);
    assert_eq!(cache.get(&"a", now), Some(&1)); // b is now the least recently used
    cache.insert("c", 3, now);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.get(&"b", now), None);
    assert_eq!(cache.get(&"a", now), Some(&1));
    assert_eq!(cache.get(&"c", now), Some(&3));
}

#[test]
fn an_entry_expires_after_its_ttl_and_a_sweep_removes_it() {
    let now = Instant::now();
    let mut cache = LruTtl::new(8, TTL);
    cache.insert("old", 1, now);
    cache.insert("new", 2, now + TTL / 2);
    assert_eq!(cache.get(&"old", now + Duration::from_secs(59)), Some(&1));
    assert_eq!(cache.evict_expired(now + TTL), 1);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.get(&"new", now + TTL), Some(&2));
    assert_eq!(cache.get(&"new", now + TTL + TTL / 2), None);
    assert_eq!(cache.len(), 0);
}

#[test]
fn reinserting_a_key_replaces_its_value_without_growing() {
    let now = Instant::now();
    let mut cache = LruTtl::new(2, TTL);
    cache.insert("a", 1, now);
    cache.insert("a", 2, now);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.get(&"a", now), Some(&2));
}
