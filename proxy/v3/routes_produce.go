package v3

import "github.com/krest-dev/krest/proxy/rest"

// produceRoutes are the streaming and batch produce endpoints.
func (a *API) produceRoutes(c string) []rest.Route {
	return []rest.Route{
		{Method: "POST", Path: c + "/topics/{topic}/records", Name: "api.v3.produce.produce-to-topic",
			Body: rest.BodyStream, Answer: rest.AnswerPlain, Version: 3, Handler: a.ProduceRecords},
		withBody("POST", c+"/topics/{topic}/records:batch", "api.v3.batch-produce.produce-to-topic", a.ProduceBatch),
	}
}
