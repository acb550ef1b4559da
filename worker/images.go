package worker

import (
	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"

	"github.com/dwshim/dwshim/imagefetch"
)

// queueImages fetches image artifacts (task-image, indexed-image) from the
// queue with the run's credentials, as generic-worker's mounts feature
// does: non-public artifacts need queue:get-artifact:<name> in the task's
// scopes. Retries and resumed downloads are said in the task log.
func queueImages(run *TaskRun) *imagefetch.Fetcher {
	return &imagefetch.Fetcher{
		RootURL: run.Config.RootURL,
		Credentials: func() *tcclient.Credentials {
			c := run.Credentials()
			return &tcclient.Credentials{ClientID: c.ClientID, AccessToken: c.AccessToken, Certificate: c.Certificate}
		},
		Logf: run.Log.Warnf,
	}
}
