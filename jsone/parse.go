package jsone

import (
	"sort"
	"strconv"
	"strings"
)

// Expression language: tokens, then a recursive-descent parser producing
// a small AST.

type token struct {
	kind  string // an operator's own text, or number, identifier, string, true, false, null, in
	value string
	start int
}

// punctuation in the order the tokenizer tries it (longest first where
// one is a prefix of another).
var punctuation = []string{
	"**", "+", "-", "*", "/", "[", "]", ".", "(", ")", "{", "}", ":", ",",
	">=", "<=", "<", ">", "==", "!=", "!", "&&", "||",
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

type lexer struct {
	src string
	off int
}

// next returns the next token, or ok=false at the end of input.
func (l *lexer) next() (token, bool, error) {
	for l.off < len(l.src) && isSpace(l.src[l.off]) {
		l.off++
	}
	if l.off >= len(l.src) {
		return token{}, false, nil
	}
	s, start := l.src[l.off:], l.off
	emit := func(kind string, n int) (token, bool, error) {
		l.off += n
		return token{kind: kind, value: s[:n], start: start}, true, nil
	}
	for _, p := range punctuation {
		if strings.HasPrefix(s, p) {
			// "**" must win over "*", and "!=" over "!": the list order
			// and this check do it.
			if p == "<" && strings.HasPrefix(s, "<=") || p == ">" && strings.HasPrefix(s, ">=") || p == "!" && strings.HasPrefix(s, "!=") {
				continue
			}
			return emit(p, len(p))
		}
	}
	c := s[0]
	switch {
	case isDigit(c):
		n := 0
		for n < len(s) && isDigit(s[n]) {
			n++
		}
		if n+1 < len(s) && s[n] == '.' && isDigit(s[n+1]) {
			n++
			for n < len(s) && isDigit(s[n]) {
				n++
			}
		}
		return emit("number", n)
	case isIdentStart(c):
		n := 1
		for n < len(s) && isIdentChar(s[n]) {
			n++
		}
		switch w := s[:n]; w {
		case "true", "false", "null", "in":
			return emit(w, n)
		}
		return emit("identifier", n)
	case c == '\'' || c == '"':
		if end := strings.IndexByte(s[1:], c); end >= 0 {
			return emit("string", end+2)
		}
	}
	return token{}, false, syntaxErr("Unexpected input for '" + l.src + "' at '" + s + "'")
}

// node is an expression AST node.
type node interface{}

type (
	literal   struct{ v any }
	contextID struct{ name string }
	unaryOp   struct {
		op string
		x  node
	}
	binOp struct {
		op   string
		l, r node
	}
	dotAccess struct {
		x    node
		name string
	}
	indexAccess struct {
		x           node
		left, right node // nil when omitted
		interval    bool
	}
	callExpr struct {
		fn   node
		args []node
	}
	listExpr   struct{ items []node }
	objectExpr struct {
		keys  []string
		items []node
	}
)

var unitStart = []string{"!", "(", "+", "-", "[", "false", "identifier", "null", "number", "string", "true", "{"}

var afterExpr = []string{"!=", "&&", "(", "*", "**", "+", "-", ".", "/", "<", "<=", "==", ">", ">=", "[", "in", "||"}

var precedence = [][]string{
	{"||"}, {"&&"}, {"in"}, {"==", "!="}, {"<", ">", "<=", ">="}, {"+", "-"}, {"*", "/"}, {"**"},
}

type parser struct {
	lex   lexer
	cur   token
	have  bool
	depth int
}

func unexpected(t token, expected []string) *Error {
	exp := append([]string(nil), expected...)
	sort.Strings(exp)
	return syntaxErr("Found: " + t.value + " token, expected one of: " + strings.Join(exp, ", "))
}

func newParser(src string) (*parser, error) {
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *parser) advance() error {
	t, ok, err := p.lex.next()
	if err != nil {
		return err
	}
	p.cur, p.have = t, ok
	return nil
}

func (p *parser) is(kind string) bool { return p.have && p.cur.kind == kind }

func (p *parser) take(kinds ...string) (token, error) {
	if !p.have {
		return token{}, syntaxErr("Unexpected end of input")
	}
	if len(kinds) > 0 {
		ok := false
		for _, k := range kinds {
			ok = ok || p.cur.kind == k
		}
		if !ok {
			return token{}, unexpected(p.cur, kinds)
		}
	}
	t := p.cur
	return t, p.advance()
}

func (p *parser) expr() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, syntaxErr("expression is nested too deeply")
	}
	return p.level(0)
}

func (p *parser) level(lvl int) (node, error) {
	if lvl == len(precedence)-1 {
		// ** is right-associative.
		x, err := p.access()
		if err != nil {
			return nil, err
		}
		if p.is("**") {
			if _, err := p.take(); err != nil {
				return nil, err
			}
			r, err := p.expr1(lvl)
			if err != nil {
				return nil, err
			}
			return &binOp{op: "**", l: x, r: r}, nil
		}
		return x, nil
	}
	x, err := p.level(lvl + 1)
	if err != nil {
		return nil, err
	}
	for p.have && contains(precedence[lvl], p.cur.kind) {
		op := p.cur.kind
		if _, err := p.take(); err != nil {
			return nil, err
		}
		r, err := p.level(lvl + 1)
		if err != nil {
			return nil, err
		}
		x = &binOp{op: op, l: x, r: r}
	}
	return x, nil
}

func (p *parser) expr1(lvl int) (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, syntaxErr("expression is nested too deeply")
	}
	return p.level(lvl)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func (p *parser) access() (node, error) {
	x, err := p.unit()
	if err != nil {
		return nil, err
	}
	for p.have {
		switch p.cur.kind {
		case "[":
			if x, err = p.index(x); err != nil {
				return nil, err
			}
		case ".":
			if _, err := p.take(); err != nil {
				return nil, err
			}
			t, err := p.take("identifier")
			if err != nil {
				return nil, err
			}
			x = &dotAccess{x: x, name: t.value}
		case "(":
			if x, err = p.call(x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
	return x, nil
}

func (p *parser) unit() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, syntaxErr("expression is nested too deeply")
	}
	if !p.have {
		return nil, syntaxErr("Unexpected end of input")
	}
	t := p.cur
	switch t.kind {
	case "!", "+", "-":
		if _, err := p.take(); err != nil {
			return nil, err
		}
		x, err := p.unit()
		if err != nil {
			return nil, err
		}
		return &unaryOp{op: t.kind, x: x}, nil
	case "number":
		if _, err := p.take(); err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(t.value, 64)
		if err != nil {
			return nil, syntaxErr("invalid number " + t.value)
		}
		return &literal{f}, nil
	case "string":
		if _, err := p.take(); err != nil {
			return nil, err
		}
		return &literal{t.value[1 : len(t.value)-1]}, nil
	case "true", "false", "null":
		if _, err := p.take(); err != nil {
			return nil, err
		}
		return &literal{map[string]any{"true": true, "false": false, "null": nil}[t.kind]}, nil
	case "identifier":
		if _, err := p.take(); err != nil {
			return nil, err
		}
		return &contextID{t.value}, nil
	case "(":
		if _, err := p.take(); err != nil {
			return nil, err
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.take(")"); err != nil {
			return nil, err
		}
		return x, nil
	case "[":
		return p.list()
	case "{":
		return p.object()
	}
	return nil, unexpected(t, unitStart)
}

// items parses "expr (, expr)*" up to close, which it consumes; the list
// may be empty.
func (p *parser) items(close string) ([]node, error) {
	var out []node
	if p.is(close) {
		_, err := p.take()
		return out, err
	}
	for {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if !p.is(",") {
			break
		}
		if _, err := p.take(); err != nil {
			return nil, err
		}
	}
	_, err := p.take(close)
	return out, err
}

func (p *parser) call(fn node) (node, error) {
	if _, err := p.take("("); err != nil {
		return nil, err
	}
	args, err := p.items(")")
	if err != nil {
		return nil, err
	}
	return &callExpr{fn: fn, args: args}, nil
}

func (p *parser) list() (node, error) {
	if _, err := p.take("["); err != nil {
		return nil, err
	}
	items, err := p.items("]")
	if err != nil {
		return nil, err
	}
	return &listExpr{items}, nil
}

func (p *parser) index(x node) (node, error) {
	if _, err := p.take("["); err != nil {
		return nil, err
	}
	if !p.have {
		return nil, syntaxErr("Unexpected end of input")
	}
	if p.is("]") {
		return nil, unexpected(p.cur, unitStart)
	}
	n := &indexAccess{x: x}
	var err error
	if !p.is(":") {
		if n.left, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.is(":") {
		n.interval = true
		if _, err := p.take(); err != nil {
			return nil, err
		}
		if p.have && !p.is("]") {
			if n.right, err = p.expr(); err != nil {
				return nil, err
			}
		}
	}
	if _, err := p.take("]"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) object() (node, error) {
	if _, err := p.take("{"); err != nil {
		return nil, err
	}
	o := &objectExpr{}
	for p.is("string") || p.is("identifier") {
		t, _ := p.take()
		key := t.value
		if t.kind == "string" {
			key = key[1 : len(key)-1]
		}
		if _, err := p.take(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		o.keys = append(o.keys, key)
		o.items = append(o.items, v)
		if p.is("}") {
			break
		}
		if _, err := p.take(","); err != nil {
			return nil, err
		}
	}
	if _, err := p.take("}"); err != nil {
		return nil, err
	}
	return o, nil
}

// parseExpr parses a whole expression.
func parseExpr(src string) (node, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.have {
		return nil, unexpected(p.cur, afterExpr)
	}
	return x, nil
}

// parseUntil parses an expression that ends at a terminator token (the "}"
// closing "${"), returning the terminator's offset in src.
func parseUntil(src, terminator string) (node, int, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, 0, err
	}
	x, err := p.expr()
	if err != nil {
		return nil, 0, err
	}
	if !p.have {
		return nil, 0, syntaxErr("unterminated ${..} expression")
	}
	if p.cur.kind != terminator {
		return nil, 0, unexpected(p.cur, afterExpr)
	}
	return x, p.cur.start, nil
}
