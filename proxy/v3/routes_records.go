package v3

import "github.com/krest-dev/krest/proxy/rest"

// recordRoutes are krest's own record endpoints: the stateless read of a
// partition, and the streamed tail of a whole topic.
func (a *API) recordRoutes(c string) []rest.Route {
	return []rest.Route{
		get(c+"/topics/{topic}/partitions/{partition}/records", "api.v3.records.read", a.ReadRecords),
		{Method: "GET", Path: c + "/topics/{topic}/records", Name: "api.v3.records.tail",
			Body: rest.BodyNone, Answer: rest.AnswerStream, Version: 3, Handler: a.TailRecords},
	}
}
