// Package awsjson is the server side of the AWS JSON 1.1 protocol, shared by
// the loopback simulators of ECS, CodeDeploy and ECR: it dispatches requests
// on their X-Amz-Target header, answers errors as {"__type","message"} with
// their HTTP status, injects faults and latency on demand, and logs every
// call. It also holds the protocol's timestamp shape and the configuration
// of a real aws-sdk-go-v2 client aimed at a simulator.
//
// See https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
package awsjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// ContentType is the AWS JSON 1.1 media type of requests and answers.
const ContentType = "application/x-amz-json-1.1"

// Error types every simulator answers with, as AWS spells them in "__type".
const (
	// ErrUnknownOperation answers a request for an operation the simulator
	// does not serve, or one that is not a POST to "/".
	ErrUnknownOperation = "UnknownOperationException"
	// ErrSerialization answers a request body that is unreadable, too large
	// or not JSON.
	ErrSerialization = "SerializationException"
	// ErrThrottling is the throttling error; injected, its message is AWS's
	// "Rate exceeded".
	ErrThrottling = "ThrottlingException"
	// ErrRequestAbandoned is not answered: it stands in the call log for a
	// request whose client went away during injected latency.
	ErrRequestAbandoned = "RequestAbandoned"
)

// Error is an error answer; it marshals to the protocol's error body.
type Error struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// Error returns "Type: Message".
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Errorf returns an error answer of type typ with a formatted message.
func Errorf(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Decode reads a request body into v, as AWS does: unknown members are
// ignored, malformed JSON is a SerializationException.
func Decode(body []byte, v any) *Error {
	if err := json.Unmarshal(body, v); err != nil {
		return Errorf(ErrSerialization, "cannot parse request body: %v", err)
	}
	return nil
}

// Epoch is a timestamp on the wire: epoch seconds as a JSON number, with
// millisecond precision, as AWS JSON services write them.
type Epoch time.Time

// MarshalJSON writes the time as fractional epoch seconds.
func (e Epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// EpochPtr returns t as an Epoch, or nil for the zero time, for members
// left out until they have a value.
func EpochPtr(t time.Time) *Epoch {
	if t.IsZero() {
		return nil
	}
	e := Epoch(t)
	return &e
}
