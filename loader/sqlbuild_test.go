package loader_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sqlKeyword matches a string literal that looks like SQL.
var sqlKeyword = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|COPY|WHERE|FROM|VALUES|SET|INTO|AND|OR|ORDER|LIMIT|JOIN|RETURNING|CONFLICT)\b`)

// TestNoSQLBuiltFromStrings scans the non-test Go files of loader and its
// packages: SQL is never built with fmt.Sprintf (or any Sprint/Fprint/Errorf
// formatting SQL) nor with + from values. The only concatenations allowed
// are of literals with the package's constants (a constant expression) and
// with pq.QuoteIdentifier, which statements that take no parameters (CREATE
// DATABASE, COPY's table and column names) need; every value goes in as a $n
// parameter.
func TestNoSQLBuiltFromStrings(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	// Parse first: concatenating a package's constants is a constant
	// expression, fixed at compile time, and allowed.
	parsed := map[string][]*ast.File{} // directory → files
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		parsed[filepath.Dir(path)] = append(parsed[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, pkg := range parsed {
		consts := map[string]bool{}
		for _, f := range pkg {
			for _, decl := range f.Decls {
				if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.CONST {
					for _, spec := range g.Specs {
						for _, name := range spec.(*ast.ValueSpec).Names {
							consts[name.Name] = true
						}
					}
				}
			}
		}
		for _, f := range pkg {
			files++
			for _, decl := range f.Decls {
				if fn, ok := decl.(*ast.FuncDecl); ok && quotingBuilders[fn.Name.Name] != "" {
					continue
				}
				checkSQLBuilding(t, fset, decl, consts)
			}
		}
	}
	if files < 5 {
		t.Fatalf("scanned %d files; is the test run from loader/?", files)
	}
}

// quotingBuilders are the functions allowed to assemble a statement from a
// variable, each with the reason.
var quotingBuilders = map[string]string{
	"copyStatement": "COPY table (columns) FROM STDIN from constant names, each through pq.QuoteIdentifier",
}

// checkSQLBuilding reports SQL built by formatting or by concatenating
// anything but literals and pq.QuoteIdentifier calls in node.
func checkSQLBuilding(t *testing.T, fset *token.FileSet, node ast.Node, consts map[string]bool) {
	t.Helper()
	ast.Inspect(node, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if name := calleeName(n.Fun); strings.Contains(name, "printf") || strings.HasSuffix(name, "Sprint") || name == "Errorf" {
				if len(n.Args) > 0 && looksLikeSQL(n.Args[0]) {
					t.Errorf("%s: SQL formatted with %s", fset.Position(n.Pos()), name)
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.ADD {
				return true
			}
			leaves := flattenAdd(n)
			sql := false
			for _, l := range leaves {
				sql = sql || looksLikeSQL(l)
			}
			if !sql {
				return true
			}
			for _, l := range leaves {
				if _, lit := l.(*ast.BasicLit); !lit && !isQuoteIdentifier(l) && !isConst(l, consts) {
					t.Errorf("%s: SQL concatenated with %s; pass values as $n parameters", fset.Position(l.Pos()), exprString(fset, l))
				}
			}
			return false // the leaves are checked
		case *ast.AssignStmt:
			// s += x where s holds SQL: x must be a literal or a quoted identifier.
			if n.Tok == token.ADD_ASSIGN {
				for _, r := range n.Rhs {
					if _, lit := r.(*ast.BasicLit); !lit && !isQuoteIdentifier(r) && mentionsSQLVar(n.Lhs) {
						t.Errorf("%s: SQL extended with %s", fset.Position(r.Pos()), exprString(fset, r))
					}
				}
			}
		}
		return true
	})
}

// looksLikeSQL reports whether e is a string literal with an SQL keyword.
func looksLikeSQL(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	s, err := strconv.Unquote(lit.Value)
	return err == nil && sqlKeyword.MatchString(s)
}

// isConst reports whether e names one of the package's constants.
func isConst(e ast.Expr, consts map[string]bool) bool {
	id, ok := e.(*ast.Ident)
	return ok && consts[id.Name]
}

// flattenAdd returns the operands of a chain of +.
func flattenAdd(e ast.Expr) []ast.Expr {
	if p, ok := e.(*ast.ParenExpr); ok {
		return flattenAdd(p.X)
	}
	b, ok := e.(*ast.BinaryExpr)
	if !ok || b.Op != token.ADD {
		return []ast.Expr{e}
	}
	return append(flattenAdd(b.X), flattenAdd(b.Y)...)
}

// isQuoteIdentifier reports whether e is a call of pq.QuoteIdentifier.
func isQuoteIdentifier(e ast.Expr) bool {
	c, ok := e.(*ast.CallExpr)
	return ok && calleeName(c.Fun) == "pq.QuoteIdentifier"
}

// mentionsSQLVar reports whether the assigned variable is one that holds a
// statement; the loader names them s, q, query, stmt or *SQL.
func mentionsSQLVar(lhs []ast.Expr) bool {
	for _, l := range lhs {
		if id, ok := l.(*ast.Ident); ok {
			switch n := strings.ToLower(id.Name); {
			case n == "q", n == "query", n == "stmt", strings.HasSuffix(n, "sql"):
				return true
			}
		}
	}
	return false
}

func calleeName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			return x.Name + "." + f.Sel.Name
		}
		return f.Sel.Name
	}
	return ""
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	if c, ok := e.(*ast.CallExpr); ok {
		return calleeName(c.Fun) + "(…)"
	}
	return fset.Position(e.Pos()).String()
}
