package jsone

import (
	"errors"
	"math"
	"unicode/utf8"
)

// scope is a chain of variable bindings; lookups walk outwards.
type scope struct {
	vars   map[string]any
	parent *scope
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) with(vars map[string]any) *scope { return &scope{vars: vars, parent: s} }

func infixErr(op, expected string) *Error {
	return interpreterErr("infix: " + op + " expects " + expected + " " + op + " " + expected)
}

func eval(n node, s *scope) (any, error) {
	switch x := n.(type) {
	case *literal:
		return x.v, nil
	case *contextID:
		v, ok := s.lookup(x.name)
		if !ok {
			return nil, interpreterErr("unknown context value " + x.name)
		}
		return v, nil
	case *unaryOp:
		v, err := eval(x.x, s)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "!":
			return !truthy(v), nil
		case "-":
			f, ok := v.(float64)
			if !ok {
				return nil, interpreterErr("unary - expects number")
			}
			return -f, nil
		default:
			if !isNumber(v) {
				return nil, interpreterErr("unary + expects number")
			}
			return v, nil
		}
	case *binOp:
		return evalBinary(x, s)
	case *dotAccess:
		v, err := eval(x.x, s)
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, interpreterErr("infix: . expects objects")
		}
		r, ok := m[x.name]
		if !ok {
			return nil, interpreterErr(`object has no property "` + x.name + `"`)
		}
		return r, nil
	case *indexAccess:
		return evalIndex(x, s)
	case *callExpr:
		fn, err := eval(x.fn, s)
		if err != nil {
			return nil, err
		}
		if !isFunc(fn) {
			return nil, interpreterErr(toStr(fn) + " is not callable")
		}
		args := make([]any, len(x.args))
		for i, a := range x.args {
			if args[i], err = eval(a, s); err != nil {
				return nil, err
			}
		}
		switch f := fn.(type) {
		case *builtin:
			return f.call(s, args)
		case Func:
			r, err := f(args...)
			if err != nil {
				var je *Error
				if errors.As(err, &je) {
					return nil, je
				}
				return nil, interpreterErr(err.Error())
			}
			return normalize(r, 0)
		}
	case *listExpr:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			v, err := eval(it, s)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *objectExpr:
		out := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			v, err := eval(x.items[i], s)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, interpreterErr("unknown expression")
}

func evalBinary(x *binOp, s *scope) (any, error) {
	l, err := eval(x.l, s)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "||":
		if truthy(l) {
			return true, nil
		}
		r, err := eval(x.r, s)
		return truthy(r), err
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		r, err := eval(x.r, s)
		return truthy(r), err
	}
	r, err := eval(x.r, s)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "==":
		return deepEqual(l, r), nil
	case "!=":
		return !deepEqual(l, r), nil
	case "+":
		if ls, ok := l.(string); ok {
			if rs, ok := r.(string); ok {
				return ls + rs, nil
			}
		}
		lf, lok := l.(float64)
		rf, rok := r.(float64)
		if !lok || !rok {
			return nil, infixErr("+", "numbers/strings")
		}
		return lf + rf, nil
	case "-", "*", "/", "**":
		lf, lok := l.(float64)
		rf, rok := r.(float64)
		if !lok || !rok {
			return nil, infixErr(x.op, "number")
		}
		switch x.op {
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, interpreterErr("division by zero")
			}
			return lf / rf, nil
		default:
			return math.Pow(lf, rf), nil
		}
	case "<", ">", "<=", ">=":
		var c int
		switch lv := l.(type) {
		case float64:
			rv, ok := r.(float64)
			if !ok {
				return nil, infixErr(x.op, "numbers/strings")
			}
			c = cmpFloat(lv, rv)
		case string:
			rv, ok := r.(string)
			if !ok {
				return nil, infixErr(x.op, "numbers/strings")
			}
			c = cmpString(lv, rv)
		default:
			return nil, infixErr(x.op, "numbers/strings")
		}
		switch x.op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		default:
			return c >= 0, nil
		}
	case "in":
		switch rv := r.(type) {
		case map[string]any:
			ls, ok := l.(string)
			if !ok {
				return nil, infixErr("in-object", "string on left side")
			}
			_, found := rv[ls]
			return found, nil
		case string:
			ls, ok := l.(string)
			if !ok {
				return nil, infixErr("in-string", "string on left side")
			}
			return containsString(rv, ls), nil
		case []any:
			for _, e := range rv {
				if deepEqual(l, e) {
					return true, nil
				}
			}
			return false, nil
		}
		return nil, infixErr("in", "Array, string, or object on right side")
	}
	return nil, interpreterErr("unknown operator " + x.op)
}

func containsString(s, sub string) bool {
	return len(sub) == 0 || indexOf(s, sub) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpString(a, b string) int {
	if a == b {
		return 0
	}
	if lessUTF16(a, b) {
		return -1
	}
	return 1
}

func evalIndex(x *indexAccess, s *scope) (any, error) {
	v, err := eval(x.x, s)
	if err != nil {
		return nil, err
	}
	var left, right any
	if x.left != nil {
		if left, err = eval(x.left, s); err != nil {
			return nil, err
		}
	}
	if x.right != nil {
		if right, err = eval(x.right, s); err != nil {
			return nil, err
		}
	}
	switch c := v.(type) {
	case []any, string:
		n := seqLen(c)
		if x.interval {
			lo, hi := 0, n
			if left != nil {
				if !isInteger(left) {
					return nil, interpreterErr("cannot perform interval access with non-integers")
				}
				lo = clampIndex(left.(float64), n)
			}
			if right != nil {
				if !isInteger(right) {
					return nil, interpreterErr("cannot perform interval access with non-integers")
				}
				hi = clampIndex(right.(float64), n)
			}
			if hi < lo {
				hi = lo
			}
			return slice(c, lo, hi), nil
		}
		if !isInteger(left) {
			return nil, interpreterErr("should only use integers to access arrays or strings")
		}
		i := left.(float64)
		if i < 0 {
			i += float64(n)
		}
		if i < 0 || i >= float64(n) {
			return nil, interpreterErr("index out of bounds")
		}
		return slice(c, int(i), int(i)+1, true), nil
	case map[string]any:
		if x.interval {
			return nil, interpreterErr(`infix: "[..]" expects object, array, or string`)
		}
		k, ok := left.(string)
		if !ok {
			return nil, interpreterErr("object keys must be strings")
		}
		return c[k], nil
	}
	return nil, interpreterErr(`infix: "[..]" expects object, array, or string`)
}

func clampIndex(f float64, n int) int {
	if f < 0 {
		f += float64(n)
		if f < 0 {
			return 0
		}
	}
	if f > float64(n) {
		return n
	}
	return int(f)
}

func seqLen(v any) int {
	if s, ok := v.(string); ok {
		return utf8.RuneCountInString(s)
	}
	return len(v.([]any))
}

// slice returns v[lo:hi] (code points for strings); with one, the element.
func slice(v any, lo, hi int, one ...bool) any {
	if a, ok := v.([]any); ok {
		if len(one) > 0 {
			return a[lo]
		}
		return append([]any{}, a[lo:hi]...)
	}
	r := []rune(v.(string))
	return string(r[lo:hi])
}
