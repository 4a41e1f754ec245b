package codecheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The rules, as findings and the allowlist name them (see doc.go).
const (
	ruleOneRunner     = "one runner"
	ruleNoShell       = "no shell"
	ruleExplicitModes = "explicit modes"
)

// runnerDir is the one package that starts processes.
const runnerDir = "internal/runner"

// exception lets one file break one rule, for a reason stated here.
type exception struct {
	file   string // relative to the repository root
	rule   string
	reason string
}

// allowlist holds every exception. Each entry says why the rule does not
// apply; one that matches nothing any more fails the test.
var allowlist = []exception{
	{
		file: "tools/guest/tests.go",
		rule: ruleNoShell,
		reason: "the guest harness runs each package's test binary inside the throwaway guest VM over ssh, whose remote " +
			"side is the guest's login shell anyway; `sh -c 'cd \"$1\" && exec ./pkg.test ...' sh DIR TIMEOUT RUN` keeps the " +
			"script constant and passes every value as a positional parameter. It never runs on a managed host.",
	},
	{
		file: "tools/bench/bench.go",
		rule: ruleNoShell,
		reason: "the benchmark's case (c) is the manual runbook, which is a shell script by definition (an operator pastes it " +
			"into a root shell); it is what is being measured, fed to `bash -s` over ssh in the throwaway guest VM only.",
	},
}

// finding is one broken rule at one place.
type finding struct {
	file string // relative to the repository root, slash-separated
	line int
	rule string
	msg  string // what is wrong, then the fix
}

func (f finding) String() string { return fmt.Sprintf("%s:%d: %s: %s", f.file, f.line, f.rule, f.msg) }

// sourceFile is one Go file to check.
type sourceFile struct {
	path string // relative to the repository root, slash-separated
	src  []byte
}

// pkg is the non-test files of one directory, with what the rules need to
// resolve names. Everything is read from the syntax alone: the check needs
// no build and no type checker.
type pkg struct {
	importPath string
	dir        string
	name       string
	files      []*file
	consts     map[string]constDecl // package-level constants
	modeFields map[string]bool      // struct fields of type fs.FileMode or os.FileMode
	modeFuncs  map[string][]int     // functions with fs.FileMode parameters: their indexes
	modeMeths  map[string][]int     // the same for methods, by method name
}

// testSupport says whether p is a test-support package (ansibletest,
// guesttest, lvmtest): by Go's convention (net/http/httptest) a package
// whose name ends in "test", for tests only. The check verifies that no
// other non-test file imports one.
func (p *pkg) testSupport() bool { return strings.HasSuffix(p.name, "test") }

type constDecl struct {
	value ast.Expr // nil for an implicit value (iota)
	file  *file
}

type file struct {
	path    string
	ast     *ast.File
	imports map[string]string // local name -> import path
	funcs   []funcNode        // every function and function literal
}

// funcNode is a function's parameters and body.
type funcNode struct {
	typ  *ast.FuncType
	body *ast.BlockStmt
}

type checker struct {
	modulePath string
	fset       *token.FileSet
	pkgs       map[string]*pkg // by import path
	findings   []finding
}

// check applies every rule to the files of the module modulePath and
// returns what breaks them, sorted; the allowlist is not applied.
func check(modulePath string, files []sourceFile) ([]finding, error) {
	c := &checker{modulePath: modulePath, fset: token.NewFileSet(), pkgs: map[string]*pkg{}}
	for _, sf := range files {
		syntax, err := parser.ParseFile(c.fset, sf.path, sf.src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		dir := path.Dir(sf.path)
		importPath := modulePath
		if dir != "." {
			importPath += "/" + dir
		}
		p := c.pkgs[importPath]
		if p == nil {
			p = &pkg{importPath: importPath, dir: dir, name: syntax.Name.Name, consts: map[string]constDecl{},
				modeFields: map[string]bool{}, modeFuncs: map[string][]int{}, modeMeths: map[string][]int{}}
			c.pkgs[importPath] = p
		}
		p.files = append(p.files, &file{path: sf.path, ast: syntax})
	}
	for _, p := range c.pkgs {
		for _, f := range p.files {
			f.imports = c.importsOf(f.ast)
			c.index(p, f)
		}
	}
	for _, p := range c.pkgs {
		for _, f := range p.files {
			c.checkFile(p, f)
		}
	}
	sort.Slice(c.findings, func(i, j int) bool {
		a, b := c.findings[i], c.findings[j]
		if a.file != b.file {
			return a.file < b.file
		}
		if a.line != b.line {
			return a.line < b.line
		}
		return a.rule < b.rule
	})
	return c.findings, nil
}

// allowed splits findings into those the allowlist does not excuse, and
// lists the allowlist entries that excused nothing.
func allowed(findings []finding, list []exception) (kept []finding, unused []exception) {
	used := make([]bool, len(list))
	for _, f := range findings {
		excused := false
		for i, e := range list {
			if e.file == f.file && e.rule == f.rule {
				used[i], excused = true, true
			}
		}
		if !excused {
			kept = append(kept, f)
		}
	}
	for i, e := range list {
		if !used[i] {
			unused = append(unused, e)
		}
	}
	return kept, unused
}

// report records a finding; a second one for the same rule on the same
// line (a shell that is both argv[0] and followed by -c) adds nothing.
func (c *checker) report(f *file, at ast.Node, rule, format string, args ...any) {
	line := c.fset.Position(at.Pos()).Line
	for _, old := range c.findings {
		if old.file == f.path && old.line == line && old.rule == rule {
			return
		}
	}
	c.findings = append(c.findings, finding{file: f.path, line: line, rule: rule, msg: fmt.Sprintf(format, args...)})
}

// importsOf maps each import's local name to its path. An unnamed import
// of one of the module's packages takes that package's own name.
func (c *checker) importsOf(syntax *ast.File) map[string]string {
	imports := map[string]string{}
	for _, spec := range syntax.Imports {
		importPath, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(importPath)
		if p := c.pkgs[importPath]; p != nil {
			name = p.name
		}
		if spec.Name != nil {
			name = spec.Name.Name
		}
		imports[name] = importPath
	}
	return imports
}

// index records a file's constants, mode fields, functions taking a mode,
// and every function body.
func (c *checker) index(p *pkg, f *file) {
	for _, decl := range f.ast.Decls {
		switch d := decl.(type) {
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					if d.Tok != token.CONST {
						continue
					}
					for i, name := range s.Names {
						var value ast.Expr
						if i < len(s.Values) {
							value = s.Values[i]
						}
						p.consts[name.Name] = constDecl{value: value, file: f}
					}
				case *ast.TypeSpec:
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							if isFileModeType(f, field.Type) {
								for _, name := range field.Names {
									p.modeFields[name.Name] = true
								}
							}
						}
					}
				}
			}
		case *ast.FuncDecl:
			if idx := modeParams(f, d.Type); len(idx) > 0 {
				if d.Recv != nil {
					p.modeMeths[d.Name.Name] = idx
				} else {
					p.modeFuncs[d.Name.Name] = idx
				}
			}
		}
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		switch fn := n.(type) {
		case *ast.FuncDecl:
			if fn.Body != nil {
				f.funcs = append(f.funcs, funcNode{typ: fn.Type, body: fn.Body})
			}
		case *ast.FuncLit:
			f.funcs = append(f.funcs, funcNode{typ: fn.Type, body: fn.Body})
		}
		return true
	})
}

// isFileModeType says whether t is fs.FileMode or os.FileMode.
func isFileModeType(f *file, t ast.Expr) bool {
	sel, ok := t.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "FileMode" {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && (f.imports[x.Name] == "os" || f.imports[x.Name] == "io/fs")
}

// modeParams lists the indexes of a function's fs.FileMode parameters.
func modeParams(f *file, typ *ast.FuncType) []int {
	var idx []int
	i := 0
	for _, field := range typ.Params.List {
		n := max(len(field.Names), 1)
		if isFileModeType(f, field.Type) {
			for k := 0; k < n; k++ {
				idx = append(idx, i+k)
			}
		}
		i += n
	}
	return idx
}

// enclosing lists the functions around pos, innermost first.
func (f *file) enclosing(pos token.Pos) []funcNode {
	var out []funcNode
	for _, fn := range f.funcs {
		if fn.body.Pos() <= pos && pos < fn.body.End() {
			out = append(out, fn)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].body.Pos() > out[j].body.Pos() })
	return out
}

// callee names what a call calls: the import path and name of a package
// function, or "" and the name of a method (or of a function of the same
// package, with its own import path).
func (c *checker) callee(p *pkg, f *file, call *ast.CallExpr) (importPath, name string, method bool) {
	switch fun := call.Fun.(type) {
	case *ast.Ident:
		return p.importPath, fun.Name, false
	case *ast.SelectorExpr:
		if x, ok := fun.X.(*ast.Ident); ok {
			if ip, ok := f.imports[x.Name]; ok {
				return ip, fun.Sel.Name, false
			}
		}
		return "", fun.Sel.Name, true
	}
	return "", "", false
}

// Calls that start a process without os/exec.
var processStarters = map[string]bool{
	"syscall.Exec": true, "syscall.ForkExec": true, "syscall.StartProcess": true,
	"os.StartProcess": true, "golang.org/x/sys/unix.Exec": true,
}

// Calls that create a file without taking its mode.
var modelessCreators = map[string]bool{"os.Create": true, "os.CreateTemp": true, "io/ioutil.TempFile": true}

// Calls that take a mode: the index of the mode argument.
var modeArgs = map[string]int{
	"os.WriteFile": 2, "os.OpenFile": 2, "os.Mkdir": 1, "os.MkdirAll": 1, "os.Chmod": 1,
	"io/ioutil.WriteFile": 2,
}

func (c *checker) checkFile(p *pkg, f *file) {
	runner := p.dir == runnerDir
	for _, spec := range f.ast.Imports {
		importPath, _ := strconv.Unquote(spec.Path.Value)
		switch {
		case importPath == "os/exec" && !runner && !p.testSupport():
			c.report(f, spec, ruleOneRunner, "imports os/exec: only %s starts processes; take a runner.Runner (runner.New on the host, runner.NewFake in tests) and hand it the argv", runnerDir)
		case c.pkgs[importPath] != nil && c.pkgs[importPath].testSupport() && !p.testSupport():
			c.report(f, spec, ruleOneRunner, "imports the test-support package %s outside the tests: test helpers may run tools directly and must stay out of the modules; import it from _test.go files only", importPath)
		}
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			c.checkCall(p, f, n, runner)
		case *ast.CompositeLit:
			c.checkArgvLiteral(f, n)
			for _, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if key, ok := kv.Key.(*ast.Ident); ok && p.modeFields[key.Name] {
						c.checkModeValue(p, f, kv.Value, key.Name)
					}
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if sel, ok := lhs.(*ast.SelectorExpr); ok && p.modeFields[sel.Sel.Name] && len(n.Lhs) == len(n.Rhs) {
					c.checkModeValue(p, f, n.Rhs[i], sel.Sel.Name)
				}
			}
		}
		return true
	})
}

// checkModeValue checks a value stored in a field of type fs.FileMode: a
// mode passed on from such a field is accepted where it is used, so what
// goes into the field is checked here.
func (c *checker) checkModeValue(p *pkg, f *file, value ast.Expr, field string) {
	if problem := c.modeProblem(p, f, value, value.Pos(), 0); problem != "" {
		c.report(f, value, ruleExplicitModes, "the mode stored in %s %s", field, problem)
	}
}

func (c *checker) checkCall(p *pkg, f *file, call *ast.CallExpr, runner bool) {
	importPath, name, method := c.callee(p, f, call)
	qualified := importPath + "." + name

	if processStarters[qualified] && !runner {
		c.report(f, call, ruleOneRunner, "%s starts a process outside %s: run the command through a runner.Runner", qualified, runnerDir)
	}

	c.checkShellArgs(f, call.Args)
	switch name {
	case "Command":
		c.checkArgv0(f, call.Args, 0)
	case "CommandContext":
		c.checkArgv0(f, call.Args, 1)
	}

	if modelessCreators[qualified] {
		if !chmodFollows(f, call) {
			c.report(f, call, ruleExplicitModes, "%s leaves the mode to the umask (os.CreateTemp: 0600, os.Create: 0666): give the file its mode with f.Chmod(MODE) in the same function before it is renamed into place, as atomicfile.Write does", qualified)
		}
		return
	}
	if i, ok := modeArgs[qualified]; ok && i < len(call.Args) {
		c.checkMode(p, f, call, qualified, call.Args[i])
		return
	}
	if method && name == "Chmod" && len(call.Args) == 1 {
		c.checkMode(p, f, call, "Chmod", call.Args[0])
		return
	}
	// A function of the module that takes a mode and creates the file
	// with it (writeFileAtomic): the mode is checked where it is given.
	var idx []int
	if callee := c.pkgs[importPath]; callee != nil && !method {
		idx = callee.modeFuncs[name]
	} else if method {
		idx = p.modeMeths[name]
	}
	for _, i := range idx {
		if i < len(call.Args) {
			c.checkMode(p, f, call, name, call.Args[i])
		}
	}
}

// chmodFollows says whether a Chmod call (os.Chmod or the file's method)
// comes after call in the function around it.
func chmodFollows(f *file, call *ast.CallExpr) bool {
	fns := f.enclosing(call.Pos())
	if len(fns) == 0 {
		return false
	}
	found := false
	ast.Inspect(fns[0].body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && c.Pos() > call.End() {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Chmod" {
				found = true
			}
		}
		return !found
	})
	return found
}

// checkMode reports a mode argument that is not a constant the check can
// see, or that is world-writable.
func (c *checker) checkMode(p *pkg, f *file, call *ast.CallExpr, what string, arg ast.Expr) {
	if problem := c.modeProblem(p, f, arg, call.Pos(), 0); problem != "" {
		c.report(f, arg, ruleExplicitModes, "the mode given to %s %s", what, problem)
	}
}

// worldWritable is the permission bit no file or directory of the project gets.
const worldWritable = 0o002

// modeFix ends every message about a mode.
const modeFix = "; use a constant such as 0o644 (files), 0o600 (secrets) or 0o755 (directories and programs)"

// modeProblem says what is wrong with a mode expression used at pos, or ""
// when it is a constant that is not world-writable, a field or parameter
// of type fs.FileMode (the mode is then checked where it is set or passed),
// or a local variable only ever assigned such values.
func (c *checker) modeProblem(p *pkg, f *file, e ast.Expr, pos token.Pos, depth int) string {
	const fix = modeFix
	if depth > 5 {
		return "is too indirect for the check to follow" + fix
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return c.modeProblem(p, f, e.X, pos, depth)
	case *ast.BasicLit:
		v, err := strconv.ParseInt(e.Value, 0, 64)
		if e.Kind != token.INT || err != nil {
			return fmt.Sprintf("is %s, not a permission number%s", e.Value, fix)
		}
		if v&worldWritable != 0 {
			return fmt.Sprintf("is %s: anyone on the host could write to it%s", e.Value, fix)
		}
		return ""
	case *ast.BinaryExpr:
		if problem := c.modeProblem(p, f, e.X, pos, depth+1); problem != "" {
			return problem
		}
		return c.modeProblem(p, f, e.Y, pos, depth+1)
	case *ast.CallExpr:
		if len(e.Args) == 1 && (isFileModeType(f, e.Fun) || isIdent(e.Fun, "uint32")) {
			return c.modeProblem(p, f, e.Args[0], pos, depth+1) // a conversion: fs.FileMode(0o644)
		}
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok && len(e.Args) == 0 && (sel.Sel.Name == "Mode" || sel.Sel.Name == "Perm") {
			return "" // fi.Mode().Perm(): the mode a file already has, kept as it is
		}
		return "is computed by " + exprText(e) + fix
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if ip, ok := f.imports[x.Name]; ok {
				switch {
				case (ip == "os" || ip == "io/fs") && e.Sel.Name == "ModePerm":
					return fmt.Sprintf("is %s.ModePerm, 0o777: anyone on the host could write to it%s", x.Name, fix)
				case ip == "os" || ip == "io/fs":
					return "" // a type bit such as fs.ModeDir
				case c.pkgs[ip] != nil:
					if d, ok := c.pkgs[ip].consts[e.Sel.Name]; ok {
						return c.constProblem(c.pkgs[ip], d, pos, depth)
					}
				}
				return fmt.Sprintf("is %s.%s, not a constant of this module%s", x.Name, e.Sel.Name, fix)
			}
		}
		if p.modeFields[e.Sel.Name] {
			return "" // a field of the package's own of type fs.FileMode, such as the mode of the file being replaced
		}
		return fmt.Sprintf("comes from %s, which is neither a constant nor a field of type fs.FileMode%s", exprText(e), fix)
	case *ast.Ident:
		if d, ok := p.consts[e.Name]; ok {
			return c.constProblem(p, d, pos, depth)
		}
		return c.variableProblem(p, f, e, pos, depth)
	}
	return fmt.Sprintf("is %s, which the check cannot read%s", exprText(e), fix)
}

func (c *checker) constProblem(p *pkg, d constDecl, pos token.Pos, depth int) string {
	if d.value == nil {
		return "" // iota and friends: a constant all the same
	}
	return c.modeProblem(p, d.file, d.value, pos, depth+1)
}

// variableProblem follows a parameter or local variable of the functions
// around pos.
func (c *checker) variableProblem(p *pkg, f *file, id *ast.Ident, pos token.Pos, depth int) string {
	const fix = modeFix
	for _, fn := range f.enclosing(pos) {
		for _, field := range fn.typ.Params.List {
			for _, name := range field.Names {
				if name.Name == id.Name {
					if isFileModeType(f, field.Type) {
						return "" // checked where the function is called
					}
					return fmt.Sprintf("is the parameter %s, which is not an fs.FileMode%s", id.Name, fix)
				}
			}
		}
		var values []ast.Expr
		multi := false
		ast.Inspect(fn.body, func(n ast.Node) bool {
			switch s := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range s.Lhs {
					if isIdent(lhs, id.Name) {
						if len(s.Lhs) != len(s.Rhs) {
							multi = true
						} else {
							values = append(values, s.Rhs[i])
						}
					}
				}
			case *ast.ValueSpec:
				for i, name := range s.Names {
					if name.Name == id.Name && i < len(s.Values) {
						values = append(values, s.Values[i])
					}
				}
			}
			return true
		})
		if multi {
			return fmt.Sprintf("comes from %s, set by a call returning several values%s", id.Name, fix)
		}
		if len(values) == 0 {
			continue
		}
		for _, v := range values {
			if problem := c.modeProblem(p, f, v, pos, depth+1); problem != "" {
				return fmt.Sprintf("comes from %s, which %s", id.Name, problem)
			}
		}
		return ""
	}
	return fmt.Sprintf("comes from %s, whose value the check cannot see%s", id.Name, fix)
}

// shells are the programs that would interpret a script.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "ksh": true, "zsh": true}

// scriptFlag matches -c and its bundled forms (-ec, -xc, -euc).
var scriptFlag = regexp.MustCompile(`^-[A-Za-z]*c[A-Za-z]*$`)

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func isShell(e ast.Expr) (string, bool) {
	s, ok := stringLit(e)
	return s, ok && shells[path.Base(s)]
}

// checkShellArgs reports a shell followed by -c among a literal's elements
// or a call's arguments.
func (c *checker) checkShellArgs(f *file, elts []ast.Expr) {
	for i := 0; i+1 < len(elts); i++ {
		shell, ok := isShell(elts[i])
		flag, _ := stringLit(elts[i+1])
		if ok && scriptFlag.MatchString(flag) {
			c.report(f, elts[i], ruleNoShell, "%q %q runs a script through a shell: give the runner the program and its arguments as argv, and do in Go what the script did", shell, flag)
		}
	}
}

// checkArgv0 reports an argv whose program is a shell.
func (c *checker) checkArgv0(f *file, elts []ast.Expr, i int) {
	if i >= len(elts) {
		return
	}
	if shell, ok := isShell(elts[i]); ok {
		c.report(f, elts[i], ruleNoShell, "the argv runs the shell %q: give the runner the program itself and its arguments", shell)
	}
}

// checkArgvLiteral checks []string literals, and those inside [][]string
// literals, as argv.
func (c *checker) checkArgvLiteral(f *file, lit *ast.CompositeLit) {
	at, ok := lit.Type.(*ast.ArrayType)
	if !ok || at.Len != nil {
		return
	}
	if isIdent(at.Elt, "string") {
		c.checkShellArgs(f, lit.Elts)
		c.checkArgv0(f, lit.Elts, 0)
		return
	}
	if inner, ok := at.Elt.(*ast.ArrayType); ok && inner.Len == nil && isIdent(inner.Elt, "string") {
		for _, e := range lit.Elts {
			if argv, ok := e.(*ast.CompositeLit); ok && argv.Type == nil {
				c.checkShellArgs(f, argv.Elts)
				c.checkArgv0(f, argv.Elts, 0)
			}
		}
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// exprText renders short expressions for messages.
func exprText(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprText(e.X) + "." + e.Sel.Name
	case *ast.CallExpr:
		return exprText(e.Fun) + "(...)"
	case *ast.BasicLit:
		return e.Value
	}
	return fmt.Sprintf("%T", e)
}
