package jsone

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwshim/dwshim/internal/jsonptr"
	"github.com/dwshim/dwshim/internal/lazyre"
)

// Limits that keep hostile templates bounded.
const (
	maxDepth = 1000
	// maxString bounds any string a template builds.
	maxString = 16 << 20
	// defaultSteps bounds the rendering and evaluation steps of one Render.
	defaultSteps = 20_000_000
)

// Options configure rendering.
type Options struct {
	// Now is the render's current time: the built-in `now` and the default
	// reference of $fromNow and fromNow(). Zero means time.Now().
	Now time.Time
	// MaxSteps bounds the work of one render (0: 20 million steps); a
	// template that needs more fails with a TemplateError.
	MaxSteps int
}

// Render renders template with context (its keys must be identifiers) at
// the current time. The result is nil when the whole template is deleted
// (an $if without a matching branch).
func Render(template any, context map[string]any) (any, error) {
	return RenderOptions(template, context, Options{})
}

// RenderOptions is Render with options (an injected clock).
func RenderOptions(template any, context map[string]any, opt Options) (any, error) {
	v, _, err := render(template, context, opt, false)
	return v, err
}

// RenderTraced renders like RenderOptions and also returns where each part
// of the result came from in the template.
func RenderTraced(template any, context map[string]any, opt Options) (any, *Origin, error) {
	return render(template, context, opt, true)
}

func render(template any, context map[string]any, opt Options, trace bool) (any, *Origin, error) {
	for k := range context {
		if !isIdentifier(k) {
			return nil, nil, templateErr("top level keys of context must follow /[a-zA-Z_][a-zA-Z0-9_]*/")
		}
	}
	ctx, err := normalize(nilToEmpty(context), 0)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := normalize(template, 0)
	if err != nil {
		return nil, nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	steps := opt.MaxSteps
	if steps <= 0 {
		steps = defaultSteps
	}
	r := &renderer{trace: trace, steps: steps}
	s := (&scope{vars: builtins}).with(map[string]any{"now": now.UTC().Format(TimeFormat)}).with(ctx.(map[string]any))
	v, o, err := r.value(tmpl, nil, s, 0)
	if err != nil {
		return nil, nil, err
	}
	if v == deleteMarker {
		return nil, o, nil
	}
	if containsFunctions(v) {
		return nil, nil, templateErr("evaluated template contained uncalled functions")
	}
	return v, o, nil
}

func nilToEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func containsFunctions(v any) bool {
	switch x := v.(type) {
	case *builtin, Func:
		return true
	case []any:
		for _, e := range x {
			if containsFunctions(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsFunctions(e) {
				return true
			}
		}
	}
	return false
}

// path is a template location as a linked list of pointer tokens.
type path struct {
	parent *path
	token  string
}

func (p *path) child(tok string) *path { return &path{parent: p, token: tok} }

func (p *path) pointer() string {
	var toks []string
	for ; p != nil; p = p.parent {
		toks = append(toks, p.token)
	}
	for i, j := 0, len(toks)-1; i < j; i, j = i+1, j-1 {
		toks[i], toks[j] = toks[j], toks[i]
	}
	return jsonptr.Join(toks)
}

type renderer struct {
	trace bool
	steps int
}

func (r *renderer) step() error {
	r.steps--
	if r.steps < 0 {
		return templateErr("template needs too much work to render")
	}
	return nil
}

func (r *renderer) leaf(p *path) *Origin {
	if !r.trace {
		return nil
	}
	return &Origin{Pointer: p.pointer()}
}

var operators = map[string]func(r *renderer, t map[string]any, p *path, s *scope, d int) (any, *Origin, error){}

func init() {
	operators["$eval"] = (*renderer).opEval
	operators["$flatten"] = (*renderer).opFlatten
	operators["$flattenDeep"] = (*renderer).opFlattenDeep
	operators["$fromNow"] = (*renderer).opFromNow
	operators["$if"] = (*renderer).opIf
	operators["$json"] = (*renderer).opJSON
	operators["$let"] = (*renderer).opLet
	operators["$map"] = (*renderer).opMap
	operators["$match"] = (*renderer).opMatch
	operators["$switch"] = (*renderer).opSwitch
	operators["$merge"] = (*renderer).opMerge
	operators["$mergeDeep"] = (*renderer).opMergeDeep
	operators["$reverse"] = (*renderer).opReverse
	operators["$sort"] = (*renderer).opSort
	operators["$find"] = (*renderer).opFind
	operators["$reduce"] = (*renderer).opReduce
}

var reservedKey = lazyre.New(`^\$[a-zA-Z][a-zA-Z0-9]*$`)

func (r *renderer) value(t any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := r.step(); err != nil {
		return nil, nil, err
	}
	if d > maxDepth {
		return nil, nil, templateErr("template is nested too deeply")
	}
	switch x := t.(type) {
	case string:
		v, err := r.interpolate(x, s)
		return v, r.leaf(p), err
	case []any:
		out := make([]any, 0, len(x))
		var o *Origin
		if r.trace {
			o = &Origin{Pointer: p.pointer()}
		}
		for i, e := range x {
			v, eo, err := r.value(e, p.child(strconv.Itoa(i)), s, d+1)
			if err != nil {
				return nil, nil, withIndex(err, i)
			}
			if v == deleteMarker {
				continue
			}
			out = append(out, v)
			if o != nil {
				o.items = append(o.items, eo)
			}
		}
		return out, o, nil
	case map[string]any:
		var op string
		for k := range x {
			if _, ok := operators[k]; ok {
				if op != "" {
					return nil, nil, templateErr("only one operator allowed")
				}
				op = k
			}
		}
		if op != "" {
			return operators[op](r, x, p, s, d)
		}
		out := make(map[string]any, len(x))
		var o *Origin
		if r.trace {
			o = &Origin{Pointer: p.pointer(), keys: map[string]*Origin{}}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, vo, err := r.value(x[k], p.child(k), s, d+1)
			if err != nil {
				return nil, nil, withKey(err, k)
			}
			if v == deleteMarker {
				continue
			}
			key := k
			switch {
			case strings.HasPrefix(k, "$$"):
				key = k[1:]
			case reservedKey().MatchString(k):
				return nil, nil, templateErr("$<identifier> is reserved; use $$<identifier>")
			default:
				if key, err = r.interpolate(k, s); err != nil {
					return nil, nil, err
				}
			}
			out[key] = v
			if o != nil {
				o.keys[key] = vo
			}
		}
		return out, o, nil
	}
	return t, r.leaf(p), nil
}

func withKey(err error, k string) error {
	if e, ok := err.(*Error); ok {
		return e.inKey(k)
	}
	return err
}

func withIndex(err error, i int) error {
	if e, ok := err.(*Error); ok {
		return e.inIndex(i)
	}
	return err
}

func withOperand(err error, k string) error {
	if e, ok := err.(*Error); ok {
		return e.inOperand(k)
	}
	return err
}

// interpolate replaces each ${expr} in str by the expression's value;
// $${ stands for a literal ${.
func (r *renderer) interpolate(str string, s *scope) (string, error) {
	i := strings.Index(str, "${")
	if i < 0 {
		return str, nil
	}
	var b strings.Builder
	rest := str
	for {
		i = strings.Index(rest, "${")
		if i < 0 {
			break
		}
		if i > 0 && rest[i-1] == '$' {
			b.WriteString(rest[:i-1])
			b.WriteString("${")
			rest = rest[i+2:]
			continue
		}
		b.WriteString(rest[:i])
		src := rest[i+2:]
		n, end, err := parseUntil(src, "}")
		if err != nil {
			return "", err
		}
		v, err := r.eval(n, s)
		if err != nil {
			return "", err
		}
		switch v.(type) {
		case []any, map[string]any:
			return "", templateErr("interpolation of '" + src[:end] + "' produced an array or object")
		case nil:
		default:
			b.WriteString(toStr(v))
		}
		if b.Len() > maxString {
			return "", templateErr("interpolation produced a string that is too long")
		}
		rest = src[end+1:]
	}
	b.WriteString(rest)
	return b.String(), nil
}

func (r *renderer) eval(n node, s *scope) (any, error) {
	if err := r.step(); err != nil {
		return nil, err
	}
	v, err := eval(n, s)
	if str, ok := v.(string); ok && len(str) > maxString {
		return nil, interpreterErr("expression produced a string that is too long")
	}
	return v, err
}

// expr parses and evaluates src.
func (r *renderer) expr(src string, s *scope) (any, error) {
	n, err := parseExpr(src)
	if err != nil {
		return nil, err
	}
	return r.eval(n, s)
}

func checkUndefined(t map[string]any, name string, allowed ...*regexp.Regexp) error {
	var unknown []string
	for k := range t {
		if k == name {
			continue
		}
		ok := false
		for _, re := range allowed {
			ok = ok || re.MatchString(k)
		}
		if !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return templateErr(name + " has undefined properties: " + strings.Join(unknown, " "))
}

func exact(s string) func() *regexp.Regexp { return lazyre.New("^" + regexp.QuoteMeta(s) + "$") }

var (
	reThen    = exact("then")
	reElse    = exact("else")
	reFrom    = exact("from")
	reIn      = exact("in")
	reInitial = exact("initial")
	reEach    = lazyre.New(`^each\(([a-zA-Z_][a-zA-Z0-9_]*)(?:,\s*([a-zA-Z_][a-zA-Z0-9_]*))?\)$`)
	reEach3   = lazyre.New(`^each\(([a-zA-Z_][a-zA-Z0-9_]*),\s*([a-zA-Z_][a-zA-Z0-9_]*)(?:,\s*([a-zA-Z_][a-zA-Z0-9_]*))?\)$`)
	reBy      = lazyre.New(`^by\(([a-zA-Z_][a-zA-Z0-9_]*)\)$`)
)

// operand renders the operator's own value (t[key]).
func (r *renderer) operand(t map[string]any, key string, p *path, s *scope, d int) (any, *Origin, error) {
	v, o, err := r.value(t[key], p.child(key), s, d+1)
	return v, o, withOperand(err, key)
}

func (r *renderer) opEval(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$eval"); err != nil {
		return nil, nil, err
	}
	src, ok := t["$eval"].(string)
	if !ok {
		return nil, nil, templateErr("$eval must be given a string expression")
	}
	v, err := r.expr(src, s)
	return v, r.leaf(p), withOperand(err, "$eval")
}

func (r *renderer) opFlatten(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$flatten"); err != nil {
		return nil, nil, err
	}
	v, o, err := r.operand(t, "$flatten", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, nil, templateErr("$flatten value must evaluate to an array")
	}
	out := []any{}
	var oo *Origin
	if r.trace {
		oo = &Origin{Pointer: o.Pointer}
	}
	for i, e := range a {
		eo := o.item(i)
		if inner, ok := e.([]any); ok {
			out = append(out, inner...)
			if oo != nil {
				for j := range inner {
					oo.items = append(oo.items, eo.item(j))
				}
			}
			continue
		}
		out = append(out, e)
		if oo != nil {
			oo.items = append(oo.items, eo)
		}
	}
	return out, oo, nil
}

func (r *renderer) opFlattenDeep(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$flattenDeep"); err != nil {
		return nil, nil, err
	}
	v, o, err := r.operand(t, "$flattenDeep", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, nil, templateErr("$flattenDeep value must evaluate to an array")
	}
	out := []any{}
	var oo *Origin
	if r.trace {
		oo = &Origin{Pointer: o.Pointer}
	}
	var walk func(v any, o *Origin, depth int) error
	walk = func(v any, o *Origin, depth int) error {
		if depth > maxDepth {
			return templateErr("$flattenDeep value is nested too deeply")
		}
		if a, ok := v.([]any); ok {
			for i, e := range a {
				if err := walk(e, o.item(i), depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		out = append(out, v)
		if oo != nil {
			oo.items = append(oo.items, o)
		}
		return nil
	}
	if err := walk(a, o, 0); err != nil {
		return nil, nil, err
	}
	return out, oo, nil
}

func (r *renderer) opFromNow(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$fromNow", reFrom()); err != nil {
		return nil, nil, err
	}
	v, _, err := r.operand(t, "$fromNow", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	ref, _ := s.lookup("now")
	if f, ok := t["from"]; ok && truthy(f) {
		if ref, _, err = r.operand(t, "from", p, s, d); err != nil {
			return nil, nil, err
		}
	}
	str, ok := v.(string)
	if !ok {
		return nil, nil, templateErr("$fromNow expects a string")
	}
	out, err := fromNow(str, ref)
	if err != nil {
		return nil, nil, templateErr(err.Error())
	}
	return out, r.leaf(p), nil
}

func (r *renderer) opIf(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$if", reThen(), reElse()); err != nil {
		return nil, nil, err
	}
	src, ok := t["$if"].(string)
	if !ok {
		return nil, nil, templateErr("$if can evaluate string expressions only")
	}
	c, err := r.expr(src, s)
	if err != nil {
		return nil, nil, withOperand(err, "$if")
	}
	branch := "else"
	if truthy(c) {
		branch = "then"
	}
	if _, ok := t[branch]; !ok {
		return deleteMarker, nil, nil
	}
	return r.operand(t, branch, p, s, d)
}

func (r *renderer) opJSON(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$json"); err != nil {
		return nil, nil, err
	}
	v, _, err := r.operand(t, "$json", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	if containsFunctions(v) {
		return nil, nil, templateErr("evaluated template contained uncalled functions")
	}
	if v == deleteMarker {
		v = nil
	}
	return stableJSON(v), r.leaf(p), nil
}

func (r *renderer) opLet(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$let", reIn()); err != nil {
		return nil, nil, err
	}
	if !isObject(t["$let"]) {
		return nil, nil, templateErr("$let value must be an object")
	}
	v, _, err := r.operand(t, "$let", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	vars, ok := v.(map[string]any)
	if !ok {
		return nil, nil, templateErr("$let value must be an object")
	}
	for k := range vars {
		if !isIdentifier(k) {
			return nil, nil, templateErr("top level keys of $let must follow /[a-zA-Z_][a-zA-Z0-9_]*/")
		}
	}
	if _, ok := t["in"]; !ok {
		return nil, nil, templateErr("$let operator requires an `in` clause")
	}
	return r.operand(t, "in", p, s.with(vars), d)
}

// eachKey finds the template's each(..) key.
func eachKey(t map[string]any, re *regexp.Regexp) (string, []string) {
	for k := range t {
		if m := re.FindStringSubmatch(k); m != nil {
			return k, m[1:]
		}
	}
	return "", nil
}

func (r *renderer) opMap(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$map", reEach()); err != nil {
		return nil, nil, err
	}
	v, vo, err := r.operand(t, "$map", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	if !isArray(v) && !isObject(v) {
		return nil, nil, templateErr("$map value must evaluate to an array or object")
	}
	if len(t) != 2 {
		return nil, nil, templateErr("$map must have exactly two properties")
	}
	key, names := eachKey(t, reEach())
	if key == "" {
		return nil, nil, templateErr("$map requires each(identifier) syntax")
	}
	x, i := names[0], names[1]
	each := t[key]
	ep := p.child(key)
	if a, ok := v.([]any); ok {
		out := make([]any, 0, len(a))
		var o *Origin
		if r.trace {
			o = &Origin{Pointer: vo.Pointer}
		}
		for idx, e := range a {
			vars := map[string]any{x: e}
			if i != "" {
				vars[i] = float64(idx)
			}
			rv, ro, err := r.value(each, ep, s.with(vars), d+1)
			if err != nil {
				return nil, nil, withOperand(err, key)
			}
			if rv == deleteMarker {
				continue
			}
			out = append(out, rv)
			if o != nil {
				o.items = append(o.items, ro)
			}
		}
		return out, o, nil
	}
	m := v.(map[string]any)
	out := map[string]any{}
	var o *Origin
	if r.trace {
		o = &Origin{Pointer: ep.pointer(), keys: map[string]*Origin{}}
	}
	for _, k := range sortedKeys(m) {
		var vars map[string]any
		if i != "" {
			vars = map[string]any{x: m[k], i: k}
		} else {
			vars = map[string]any{x: map[string]any{"key": k, "val": m[k]}}
		}
		rv, ro, err := r.value(each, ep, s.with(vars), d+1)
		if err != nil {
			return nil, nil, withOperand(err, key)
		}
		if rv == deleteMarker {
			continue
		}
		obj, ok := rv.(map[string]any)
		if !ok {
			return nil, nil, templateErr("$map on objects expects each(" + x + ") to evaluate to an object")
		}
		for k2, v2 := range obj {
			out[k2] = v2
			if o != nil {
				o.keys[k2] = ro.key(k2)
			}
		}
	}
	return out, o, nil
}

func (r *renderer) opMatch(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$match"); err != nil {
		return nil, nil, err
	}
	conds, ok := t["$match"].(map[string]any)
	if !ok {
		return nil, nil, templateErr("$match can evaluate objects only")
	}
	out := []any{}
	var o *Origin
	if r.trace {
		o = &Origin{Pointer: p.child("$match").pointer()}
	}
	mp := p.child("$match")
	for _, c := range sortedKeys(conds) {
		ok, err := r.expr(c, s)
		if err != nil {
			return nil, nil, withOperand(err, "$match")
		}
		if !truthy(ok) {
			continue
		}
		v, vo, err := r.value(conds[c], mp.child(c), s, d+1)
		if err != nil {
			return nil, nil, withOperand(withOperand(err, c), "$match")
		}
		if v == deleteMarker {
			continue
		}
		out = append(out, v)
		if o != nil {
			o.items = append(o.items, vo)
		}
	}
	return out, o, nil
}

func (r *renderer) opSwitch(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$switch"); err != nil {
		return nil, nil, err
	}
	conds, ok := t["$switch"].(map[string]any)
	if !ok {
		return nil, nil, templateErr("$switch can evaluate objects only")
	}
	sp := p.child("$switch")
	var match []string
	for _, c := range sortedKeys(conds) {
		if c == "$default" {
			continue
		}
		ok, err := r.expr(c, s)
		if err != nil {
			return nil, nil, withOperand(err, "$switch")
		}
		if truthy(ok) {
			match = append(match, c)
		}
	}
	if len(match) > 1 {
		return nil, nil, templateErr("$switch can only have one truthy condition")
	}
	if len(match) == 0 {
		if _, ok := conds["$default"]; !ok {
			return deleteMarker, nil, nil
		}
		match = []string{"$default"}
	}
	v, o, err := r.value(conds[match[0]], sp.child(match[0]), s, d+1)
	return v, o, withOperand(withOperand(err, match[0]), "$switch")
}

func (r *renderer) objects(t map[string]any, op string, p *path, s *scope, d int) ([]map[string]any, *Origin, error) {
	if err := checkUndefined(t, op); err != nil {
		return nil, nil, err
	}
	v, o, err := r.operand(t, op, p, s, d)
	if err != nil {
		return nil, nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, nil, templateErr(op + " value must evaluate to an array of objects")
	}
	objs := make([]map[string]any, len(a))
	for i, e := range a {
		if objs[i], ok = e.(map[string]any); !ok {
			return nil, nil, templateErr(op + " value must evaluate to an array of objects")
		}
	}
	return objs, o, nil
}

func (r *renderer) opMerge(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	objs, o, err := r.objects(t, "$merge", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]any{}
	var oo *Origin
	if r.trace {
		oo = &Origin{Pointer: o.Pointer, keys: map[string]*Origin{}}
	}
	for i, m := range objs {
		for k, v := range m {
			out[k] = v
			if oo != nil {
				oo.keys[k] = o.item(i).key(k)
			}
		}
	}
	return out, oo, nil
}

func (r *renderer) opMergeDeep(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	objs, o, err := r.objects(t, "$mergeDeep", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	if len(objs) == 0 {
		return map[string]any{}, r.leaf(p), nil
	}
	var acc any = objs[0]
	accO := o.item(0)
	for i := 1; i < len(objs); i++ {
		acc, accO = r.mergeDeep(acc, objs[i], accO, o.item(i), 0)
	}
	return acc, accO, nil
}

func (r *renderer) mergeDeep(l, rv any, lo, ro *Origin, depth int) (any, *Origin) {
	if depth > maxDepth {
		return rv, ro
	}
	if la, ok := l.([]any); ok {
		if ra, ok := rv.([]any); ok {
			out := append(append(make([]any, 0, len(la)+len(ra)), la...), ra...)
			var o *Origin
			if r.trace {
				o = &Origin{Pointer: ro.ptr()}
				for i := range la {
					o.items = append(o.items, lo.item(i))
				}
				for i := range ra {
					o.items = append(o.items, ro.item(i))
				}
			}
			return out, o
		}
	}
	if lm, ok := l.(map[string]any); ok {
		if rm, ok := rv.(map[string]any); ok {
			out := make(map[string]any, len(lm)+len(rm))
			var o *Origin
			if r.trace {
				o = &Origin{Pointer: ro.ptr(), keys: map[string]*Origin{}}
			}
			for k, v := range lm {
				out[k] = v
				if o != nil {
					o.keys[k] = lo.key(k)
				}
			}
			for k, v := range rm {
				if old, ok := lm[k]; ok {
					nv, no := r.mergeDeep(old, v, lo.key(k), ro.key(k), depth+1)
					out[k] = nv
					if o != nil {
						o.keys[k] = no
					}
					continue
				}
				out[k] = v
				if o != nil {
					o.keys[k] = ro.key(k)
				}
			}
			return out, o
		}
	}
	return rv, ro
}

func (r *renderer) opReverse(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$reverse"); err != nil {
		return nil, nil, err
	}
	v, o, err := r.operand(t, "$reverse", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, nil, templateErr("$reverse value must evaluate to an array of objects")
	}
	out := make([]any, len(a))
	var oo *Origin
	if r.trace {
		oo = &Origin{Pointer: o.Pointer}
	}
	for i := range a {
		out[i] = a[len(a)-1-i]
		if oo != nil {
			oo.items = append(oo.items, o.item(len(a)-1-i))
		}
	}
	return out, oo, nil
}

func (r *renderer) opSort(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$sort", reBy()); err != nil {
		return nil, nil, err
	}
	v, o, err := r.operand(t, "$sort", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	sameType := templateErr("$sorted values to be sorted must have the same type")
	a, ok := v.([]any)
	if !ok {
		return nil, nil, sameType
	}
	keys := a
	if byKey, names := eachKey(t, reBy()); byKey != "" {
		src, ok := t[byKey].(string)
		if !ok {
			return nil, nil, templateErr("$sort by(..) must be a string expression")
		}
		n, err := parseExpr(src)
		if err != nil {
			return nil, nil, withOperand(err, byKey)
		}
		keys = make([]any, len(a))
		for i, e := range a {
			if keys[i], err = r.eval(n, s.with(map[string]any{names[0]: e})); err != nil {
				return nil, nil, withOperand(err, byKey)
			}
		}
	}
	idx := make([]int, len(a))
	for i := range idx {
		idx[i] = i
	}
	if len(keys) > 0 {
		switch keys[0].(type) {
		case float64:
			for _, k := range keys {
				if !isNumber(k) {
					return nil, nil, sameType
				}
			}
			sort.SliceStable(idx, func(i, j int) bool { return keys[idx[i]].(float64) < keys[idx[j]].(float64) })
		case string:
			for _, k := range keys {
				if !isString(k) {
					return nil, nil, sameType
				}
			}
			sort.SliceStable(idx, func(i, j int) bool { return lessUTF16(keys[idx[i]].(string), keys[idx[j]].(string)) })
		default:
			return nil, nil, sameType
		}
	}
	out := make([]any, len(a))
	var oo *Origin
	if r.trace {
		oo = &Origin{Pointer: o.Pointer}
	}
	for i, j := range idx {
		out[i] = a[j]
		if oo != nil {
			oo.items = append(oo.items, o.item(j))
		}
	}
	return out, oo, nil
}

func (r *renderer) opFind(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$find", reEach()); err != nil {
		return nil, nil, err
	}
	v, o, err := r.operand(t, "$find", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, nil, templateErr("$find value must evaluate to an array")
	}
	key, names := eachKey(t, reEach())
	if key == "" || len(t) != 2 {
		return nil, nil, templateErr("$find requires exactly one other property, each(..)")
	}
	src, ok := t[key].(string)
	if !ok {
		return nil, nil, templateErr("each can evaluate string expressions only")
	}
	n, err := parseExpr(src)
	if err != nil {
		return nil, nil, withOperand(err, key)
	}
	for i, e := range a {
		vars := map[string]any{names[0]: e}
		if names[1] != "" {
			vars[names[1]] = float64(i)
		}
		sub := s.with(vars)
		ok, err := r.eval(n, sub)
		if err != nil {
			return nil, nil, withOperand(err, key)
		}
		if truthy(ok) {
			rv, _, err := r.value(e, p.child("$find"), sub, d+1)
			return rv, o.item(i), err
		}
	}
	return deleteMarker, nil, nil
}

func (r *renderer) opReduce(t map[string]any, p *path, s *scope, d int) (any, *Origin, error) {
	if err := checkUndefined(t, "$reduce", reInitial(), reEach3()); err != nil {
		return nil, nil, err
	}
	v, _, err := r.operand(t, "$reduce", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, nil, templateErr("$reduce value must evaluate to an array")
	}
	key, names := eachKey(t, reEach3())
	if _, hasInit := t["initial"]; len(t) != 3 || key == "" || !hasInit {
		return nil, nil, templateErr("$reduce must have exactly three properties")
	}
	acc, accO, err := r.operand(t, "initial", p, s, d)
	if err != nil {
		return nil, nil, err
	}
	ep := p.child(key)
	for i, e := range a {
		vars := map[string]any{names[0]: acc, names[1]: e}
		if names[2] != "" {
			vars[names[2]] = float64(i)
		}
		rv, ro, err := r.value(t[key], ep, s.with(vars), d+1)
		if err != nil {
			return nil, nil, withOperand(err, key)
		}
		if rv != deleteMarker {
			acc, accO = rv, ro
		}
	}
	return acc, accO, nil
}
