// Package lazyre compiles a package's regular expressions when first used
// rather than at program start: every dwshim command pays the
// initialisation of every package linked in, and `dwshim local` starts a
// container in about a third of a second, so the regexps of packages it
// never uses (jsone's, tctemplate's) are not compiled before its task
// starts. New is the entry point.
//
// Not on the data flow itself: a helper of its steps. It must stay this
// small and import nothing of dwshim, so any package may use it.
package lazyre
