package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// labelLocalOwner labels everything a dwshim local run creates with
// "host:pid:start" of its process, so that the next run can remove what a
// run killed with SIGKILL left behind (it could not clean up itself).
const labelLocalOwner = "dwshim.local.owner"

// localOwner is this process's owner label value.
func localOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), procStart(os.Getpid()))
}

// ownerGone reports whether the owner value names a process of this host
// that is no longer running (or whose pid now belongs to another process).
// Owners on other hosts (a shared remote daemon) are never judged gone.
func ownerGone(value string) bool {
	host, _ := os.Hostname()
	parts := strings.Split(value, ":")
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && errors.Is(err, syscall.ESRCH) {
		return true
	}
	start := procStart(pid)
	return start != "" && parts[2] != "" && start != parts[2]
}

// procStart is the start time of process pid in clock ticks since boot
// (field 22 of /proc/PID/stat), or "" where there is no /proc.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}
