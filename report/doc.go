// Package report prints what a run over many tasks found so that people
// can read it at 30,000 tasks: dwshim lint's text format and dwshim
// convert's warnings and problems both go through it (machine formats do
// not: they keep every finding).
//
// A Reporter groups findings. Two findings are the same when they have the
// same severity, rule, JSON pointer and message shape: the message with
// every run of decimal digits taken as one value, so a date, a duration or
// a maxRunTime that differ from task to task do not split a group. Where a
// finding was (file, line, column) and which task had it are not part of
// the key: they are what repeats. A message that names the task itself
// would never group; the producers keep the task out of the message.
//
// By default the first finding of each group is printed when it arrives,
// with its location, so a long run shows its problems at once; at the end
// the groups more than one task had are listed again, most frequent first,
// with how many tasks had them and the first as the example; then a table
// per rule (errors, warnings, distinct groups; convert's findings have
// codes instead: translate's warning codes and problem kinds) and the
// caller's total line.
// Verbose prints every finding as it arrives (no repeat list); Quiet
// prints no warnings (the counts still include them, so a run that
// --strict fails says why).
//
// Progress draws one status line on a terminal for runs longer than a
// second, and clears it before anything else is written to the terminal
// (writers wrapped by Guard). It is only for terminals: callers decide
// with IsTerminal and pass nil otherwise, so CI logs and redirected output
// never carry it.
package report
