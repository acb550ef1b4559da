// Package gwconfig is the one reader of generic-worker's config file: the
// keys dwshim reads and their defaults (Config, Default), the d2gConfig they
// hold as a translate.Config, and the checks a worker needs (Validate).
//
// Data flow: the config file's bytes → Parse (pure) or Load (reads the
// file) → Config; its D2GConfig goes to translate with every task, the rest
// configures the worker. dwshim run (package worker), convert, lint and
// local all read their config through Load, so one file means the same to
// all four; errors name the file and the key (*Error).
//
// It does no I/O but Load's read of the file, knows nothing of flags or the
// queue, and never decides how a command reacts to a setting (local forces
// enableD2G on, lint ignores it, the worker refuses docker-worker payloads
// when it is off).
package gwconfig
