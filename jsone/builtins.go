package jsone

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dwshim/dwshim/internal/lazyre"
)

// builtins are the functions every context starts with.
var builtins = map[string]any{}

func def(name string, call func(s *scope, args []any) (any, error)) {
	builtins[name] = &builtin{name: name, call: call}
}

// fixed checks that args match the tests one for one.
func fixed(name string, args []any, tests ...func(any) bool) error {
	if len(args) != len(tests) {
		return builtinErr(name)
	}
	for i, t := range tests {
		if !t(args[i]) {
			return builtinErr(name)
		}
	}
	return nil
}

// variadic checks that there are at least min args, each passing test.
func variadic(name string, args []any, min int, test func(any) bool) error {
	if len(args) < min {
		return newErr(BuiltinError, "invalid arguments to builtin: "+name+": expected at least "+strconv.Itoa(min)+" arguments")
	}
	for _, a := range args {
		if !test(a) {
			return builtinErr(name)
		}
	}
	return nil
}

func anyValue(any) bool { return true }

func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, float64, string:
		return true
	}
	return false
}

func stringOrNumber(v any) bool { return isString(v) || isNumber(v) }
func stringOrArray(v any) bool  { return isString(v) || isArray(v) }

func math1(name string, f func(float64) float64) {
	def(name, func(_ *scope, args []any) (any, error) {
		if err := fixed(name, args, isNumber); err != nil {
			return nil, err
		}
		return f(args[0].(float64)), nil
	})
}

func str1(name string, f func(string) string) {
	def(name, func(_ *scope, args []any) (any, error) {
		if err := fixed(name, args, isString); err != nil {
			return nil, err
		}
		return f(args[0].(string)), nil
	})
}

func init() {
	extreme := func(name string, better func(a, b float64) bool) {
		def(name, func(_ *scope, args []any) (any, error) {
			if err := variadic(name, args, 1, isNumber); err != nil {
				return nil, err
			}
			best := args[0].(float64)
			for _, a := range args[1:] {
				if f := a.(float64); better(f, best) {
					best = f
				}
			}
			return best, nil
		})
	}
	extreme("min", func(a, b float64) bool { return a < b })
	extreme("max", func(a, b float64) bool { return a > b })
	math1("sqrt", math.Sqrt)
	math1("ceil", math.Ceil)
	math1("floor", math.Floor)
	math1("abs", math.Abs)
	str1("lowercase", strings.ToLower)
	str1("uppercase", strings.ToUpper)
	str1("strip", func(s string) string { return strings.TrimFunc(s, unicode.IsSpace) })
	str1("lstrip", func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) })
	str1("rstrip", func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) })
	def("len", func(_ *scope, args []any) (any, error) {
		if err := fixed("len", args, stringOrArray); err != nil {
			return nil, err
		}
		return float64(seqLen(args[0])), nil
	})
	def("str", func(_ *scope, args []any) (any, error) {
		if err := fixed("str", args, scalar); err != nil {
			return nil, err
		}
		return toStr(args[0]), nil
	})
	def("number", func(_ *scope, args []any) (any, error) {
		if err := fixed("number", args, isString); err != nil {
			return nil, err
		}
		f, ok := parseNumber(args[0].(string))
		if !ok {
			return nil, builtinErr("number")
		}
		return f, nil
	})
	def("split", func(_ *scope, args []any) (any, error) {
		if err := fixed("split", args, isString, stringOrNumber); err != nil {
			return nil, err
		}
		s, sep := args[0].(string), toStr(args[1])
		var parts []string
		if sep == "" {
			for _, r := range s {
				parts = append(parts, string(r))
			}
		} else {
			parts = strings.Split(s, sep)
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	})
	def("join", func(_ *scope, args []any) (any, error) {
		if err := fixed("join", args, isArray, stringOrNumber); err != nil {
			return nil, err
		}
		list := args[0].([]any)
		parts := make([]string, len(list))
		for i, e := range list {
			if !scalar(e) {
				return nil, builtinErr("join")
			}
			parts[i] = toStr(e)
		}
		return strings.Join(parts, toStr(args[1])), nil
	})
	def("range", func(_ *scope, args []any) (any, error) {
		if len(args) < 2 || len(args) > 3 {
			return nil, builtinErr("range")
		}
		for _, a := range args {
			if !isInteger(a) {
				return nil, builtinErr("range")
			}
		}
		start, stop, step := args[0].(float64), args[1].(float64), 1.0
		if len(args) == 3 {
			step = args[2].(float64)
		}
		if step == 0 {
			return nil, builtinErr("range")
		}
		n := math.Ceil((stop - start) / step)
		if n <= 0 {
			return []any{}, nil
		}
		if n > maxRange {
			return nil, newErr(BuiltinError, "invalid arguments to builtin: range: more than "+strconv.Itoa(maxRange)+" elements")
		}
		out := make([]any, 0, int(n))
		for v := start; step > 0 && v < stop || step < 0 && v > stop; v += step {
			out = append(out, v)
		}
		return out, nil
	})
	def("fromNow", func(s *scope, args []any) (any, error) {
		if err := variadic("fromNow", args, 1, isString); err != nil {
			return nil, err
		}
		if len(args) > 2 {
			return nil, builtinErr("fromNow")
		}
		var ref any
		if len(args) == 2 {
			ref = args[1]
		} else {
			ref, _ = s.lookup("now")
		}
		r, err := fromNow(args[0].(string), ref)
		if err != nil {
			return nil, newErr(BuiltinError, err.Error())
		}
		return r, nil
	})
	def("typeof", func(_ *scope, args []any) (any, error) {
		if err := fixed("typeof", args, anyValue); err != nil {
			return nil, err
		}
		return typeName(args[0]), nil
	})
	def("defined", func(s *scope, args []any) (any, error) {
		if err := fixed("defined", args, isString); err != nil {
			return nil, err
		}
		_, ok := s.lookup(args[0].(string))
		return ok, nil
	})
}

// maxRange bounds range() so a template cannot ask for unbounded memory.
const maxRange = 1 << 20

var numberRE = lazyre.New(`^\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$`)

func parseNumber(s string) (float64, bool) {
	if !numberRE().MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

var fromNowRE = lazyre.New(`(?i)^(\s*([-+]))?` +
	`(\s*(?P<years>\d+)\s*y((ears?)|r)?)?` +
	`(\s*(?P<months>\d+)\s*mo(nths?)?)?` +
	`(\s*(?P<weeks>\d+)\s*w((eeks?)|k)?)?` +
	`(\s*(?P<days>\d+)\s*d(ays?)?)?` +
	`(\s*(?P<hours>\d+)\s*h((ours?)|r)?)?` +
	`(\s*(?P<minutes>\d+)\s*m(in(utes?)?)?)?` +
	`(\s*(?P<seconds>\d+)\s*s(ec(onds?)?)?)?` +
	`\s*$`)

// TimeFormat is how JSON-e renders times: JavaScript's Date#toJSON.
const TimeFormat = "2006-01-02T15:04:05.000Z"

type fromNowError struct{ msg string }

func (e *fromNowError) Error() string { return e.msg }

// fromNow adds the offset ("2 days 3 hours", "-1 year") to ref (a time
// string; nil for the render's now).
func fromNow(offset string, ref any) (string, error) {
	m := fromNowRE().FindStringSubmatch(offset)
	if m == nil {
		return "", &fromNowError{"String: '" + offset + "' isn't a time expression"}
	}
	num := func(g string) int64 {
		n, _ := strconv.ParseInt(m[fromNowRE().SubexpIndex(g)], 10, 64)
		if n > 1e7 {
			n = 1e7 // bounded: nobody means ten million days
		}
		return n
	}
	secs := (num("days")+30*num("months")+365*num("years")+7*num("weeks"))*86400 +
		num("hours")*3600 + num("minutes")*60 + num("seconds")
	if m[2] == "-" {
		secs = -secs
	}
	var base time.Time
	switch r := ref.(type) {
	case string:
		t, err := parseTime(r)
		if err != nil {
			return "", &fromNowError{"invalid reference time '" + r + "'"}
		}
		base = t
	default:
		return "", &fromNowError{"fromNow reference must be a string"}
	}
	return time.Unix(base.Unix()+secs, int64(base.Nanosecond())).UTC().Format(TimeFormat), nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &fromNowError{"invalid time"}
}
