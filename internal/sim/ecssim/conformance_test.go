package ecssim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	smithy "github.com/aws/smithy-go"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// TestServiceHistoryShapesMatchTheSDKModel checks every JSON member the
// simulator reads or writes for the service-history operations (and the
// service it describes) against the shapes of the ECS model compiled into
// aws-sdk-go-v2: a misspelt member would be dropped silently by the SDK.
func TestServiceHistoryShapesMatchTheSDKModel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		wire   any
		schema *smithy.Schema
	}{
		{listServiceDeploymentsRequest{}, schemas.ListServiceDeploymentsRequest},
		{listServiceDeploymentsResponse{}, schemas.ListServiceDeploymentsResponse},
		{describeServiceDeploymentsRequest{}, schemas.DescribeServiceDeploymentsRequest},
		{describeServiceDeploymentsResponse{}, schemas.DescribeServiceDeploymentsResponse},
		{describeServiceRevisionsRequest{}, schemas.DescribeServiceRevisionsRequest},
		{describeServiceRevisionsResponse{}, schemas.DescribeServiceRevisionsResponse},
		{stopServiceDeploymentRequest{}, schemas.StopServiceDeploymentRequest},
		{serviceDeploymentArnResponse{}, schemas.StopServiceDeploymentResponse},
		{continueServiceDeploymentRequest{}, schemas.ContinueServiceDeploymentRequest},
		{serviceDeploymentArnResponse{}, schemas.ContinueServiceDeploymentResponse},
		{describeServicesResponse{}, schemas.DescribeServicesResponse},
	} {
		typ := reflect.TypeOf(tt.wire)
		t.Run(typ.Name(), func(t *testing.T) {
			t.Parallel()
			checkShape(t, typ, tt.schema, typ.Name())
		})
	}
}

var epochType = reflect.TypeOf(awsjson.Epoch{})

func checkShape(t *testing.T, typ reflect.Type, s *smithy.Schema, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == epochType:
		if s.Type() != smithy.ShapeTypeTimestamp {
			t.Errorf("%s: a timestamp on the wire, %v in the model", path, s.Type())
		}
	case typ.Kind() == reflect.Struct:
		if s.Type() != smithy.ShapeTypeStructure {
			t.Errorf("%s: a structure on the wire, %v in the model", path, s.Type())
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			m := s.Member(name)
			if m == nil {
				shape := s.ID().Name
				if shape == "" {
					shape = s.TargetID().Name
				}
				t.Errorf("%s.%s: the model's %s has no such member", path, name, shape)
				continue
			}
			checkShape(t, f.Type, m, path+"."+name)
		}
	case typ.Kind() == reflect.Slice:
		if s.Type() != smithy.ShapeTypeList {
			t.Errorf("%s: a list on the wire, %v in the model", path, s.Type())
			return
		}
		checkShape(t, typ.Elem(), s.ListMember(), path+"[]")
	}
}
