package source

import (
	"errors"
	"syscall"
)

// limitHint names the inotify limit an error of the OS watch points at.
func limitHint(err error) string {
	switch {
	case errors.Is(err, syscall.EMFILE):
		return " (out of inotify instances or file descriptors: raise fs.inotify.max_user_instances or ulimit -n)"
	case errors.Is(err, syscall.ENOSPC):
		return " (out of inotify watches: raise fs.inotify.max_user_watches)"
	}
	return ""
}
