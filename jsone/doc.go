// Package jsone renders JSON-e templates (https://json-e.js.org): the
// template language of .taskcluster.yml files, hooks and in-tree actions.
//
// Render(template, context) evaluates every operator ($eval, $if/then/else,
// $let/in, $map/each(..), $match, $switch, $merge, $mergeDeep, $sort/by(..),
// $reverse, $flatten, $flattenDeep, $fromNow/from, $json, $find/each(..),
// $reduce/each(..)/initial), ${..} interpolation in strings and object keys,
// and the expression language (arithmetic, comparison, logic, in, property
// and index access, slices, function calls, array and object literals) with
// its built-ins (min, max, sqrt, ceil, floor, abs, lowercase, uppercase, len,
// str, number, strip, lstrip, rstrip, split, join, range, fromNow, typeof,
// defined). It behaves like the reference implementations: it passes every
// case of the language's specification suite (specification.yml), errors
// included, with the same error kinds and messages.
//
// Values are the JSON values as encoding/json decodes them into any: nil,
// bool, float64, string, []any and map[string]any. Context values may also
// be other Go numbers (int, int64, json.Number …), which are converted, and
// Func values, which expressions can call. The clock is injected through
// Options.Now, so $fromNow, fromNow() and the built-in `now` are
// deterministic where the caller wants them to be.
//
// Errors are *Error values: Kind is TemplateError, InterpreterError,
// SyntaxError or BuiltinError, Error() renders them as the reference
// implementations do ("InterpreterError at template.a[1]: unknown context
// value x"), and Pointer is the JSON pointer of the template node at fault.
//
// RenderTraced also returns an Origin tree that maps every pointer of the
// rendered result to the template node it came from, so tools can report
// problems about rendered values at the template's file:line:column.
package jsone
