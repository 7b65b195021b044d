//! Builds keepalived's keyword tree from lexed lines: `keyword args... [{ ... }]`, with the
//! `{` on the same line or the next one, one-line blocks, and `}` anywhere.
//!
//! Iterative with an explicit stack and a depth limit, so 100k nested braces cost no stack and
//! bounded memory: blocks deeper than [`MAX_DEPTH`] are reported once and their content dropped.
use super::diag::{Diagnostics, Location};
use super::lexer::{Line, TokKind, Token};

/// keepalived's deepest real nesting is 4 (virtual_server > real_server > HTTP_GET > url).
pub const MAX_DEPTH: usize = 16;

#[derive(Debug)]
pub struct Stmt {
    pub keyword: Token,
    pub args: Vec<Token>,
    pub block: Option<Block>,
}

#[derive(Debug)]
pub struct Block {
    pub open: Location,
    pub stmts: Vec<Stmt>,
}

impl Stmt {
    pub fn loc(&self) -> Location {
        self.keyword.loc
    }
    pub fn name(&self) -> &str {
        &self.keyword.text
    }
}

struct Frame {
    /// The statement that owns this block (None for the top level).
    owner: Option<Stmt>,
    open: Location,
    stmts: Vec<Stmt>,
}

pub fn build(lines: Vec<Line>, eof: Location, diags: &mut Diagnostics) -> Vec<Stmt> {
    let mut stack: Vec<Frame> = vec![Frame { owner: None, open: eof, stmts: Vec::new() }];
    // Levels opened beyond MAX_DEPTH whose content is being dropped.
    let mut excess = 0usize;
    let mut reported_depth = false;
    for line in lines {
        // `current` is the statement being built on this line; it moves into its frame at the
        // end of the line or when a brace ends it.
        let mut current: Option<Stmt> = None;
        let mut first_on_line = true;
        for tok in line.tokens {
            match tok.kind {
                TokKind::Word => {
                    if excess > 0 {
                        continue;
                    }
                    match current.as_mut() {
                        Some(stmt) => stmt.args.push(tok),
                        None => current = Some(Stmt { keyword: tok, args: Vec::new(), block: None }),
                    }
                }
                TokKind::Open => {
                    if excess > 0 || stack.len() > MAX_DEPTH {
                        if !reported_depth {
                            diags.corrected(
                                tok.loc,
                                format!("blocks nested deeper than {MAX_DEPTH} levels - skipping their content"),
                            );
                            reported_depth = true;
                        }
                        if let Some(stmt) = current.take() {
                            push_stmt(&mut stack, stmt);
                        }
                        excess += 1;
                        continue;
                    }
                    let frame = stack.last_mut().expect("top level frame");
                    let owner = match current.take() {
                        Some(stmt) => stmt,
                        None => {
                            // `{` at the start of a line opens the block of the previous
                            // keyword line, if it has none yet (brace on the next line).
                            match frame.stmts.last() {
                                Some(prev) if first_on_line && prev.block.is_none() => {
                                    frame.stmts.pop().expect("checked")
                                }
                                _ => {
                                    diags.corrected(tok.loc, "Unexpected '{' - skipping the block it opens");
                                    Stmt {
                                        keyword: Token {
                                            kind: TokKind::Open,
                                            text: "{".into(),
                                            quoted: false,
                                            loc: tok.loc,
                                            source: "{".into(),
                                        },
                                        args: Vec::new(),
                                        block: None,
                                    }
                                }
                            }
                        }
                    };
                    stack.push(Frame { owner: Some(owner), open: tok.loc, stmts: Vec::new() });
                }
                TokKind::Close => {
                    if let Some(stmt) = current.take() {
                        push_stmt(&mut stack, stmt);
                    }
                    if excess > 0 {
                        excess -= 1;
                        continue;
                    }
                    if stack.len() == 1 {
                        diags.corrected(tok.loc, "Unexpected '}' - ignoring");
                        continue;
                    }
                    close_frame(&mut stack);
                }
            }
            first_on_line = false;
        }
        if let Some(stmt) = current.take() {
            push_stmt(&mut stack, stmt);
        }
    }
    if stack.len() > 1 || excess > 0 {
        let missing = stack.len() - 1 + excess;
        let opened = stack.last().map(|f| f.open).unwrap_or(eof);
        diags.corrected(
            opened,
            format!(
                "There {} {} missing '}}'{} at the end of the configuration; this block is closed there",
                if missing == 1 { "is" } else { "are" },
                missing,
                if missing == 1 { "" } else { "s" }
            ),
        );
        while stack.len() > 1 {
            close_frame(&mut stack);
        }
    }
    stack.pop().map(|f| f.stmts).unwrap_or_default()
}

fn push_stmt(stack: &mut [Frame], stmt: Stmt) {
    stack.last_mut().expect("top level frame").stmts.push(stmt);
}

fn close_frame(stack: &mut Vec<Frame>) {
    let frame = stack.pop().expect("not top level");
    let mut owner = frame.owner.expect("only the top level has no owner");
    owner.block = Some(Block { open: frame.open, stmts: frame.stmts });
    push_stmt(stack, owner);
}
