package raftfsm

import (
	"encoding/json"
	"fmt"
)

// CommandType numbers a replicated command. The numbers are stored in Raft
// logs and snapshots forever: only append new types; a retired type keeps its
// number and its decoder.
type CommandType uint8

// Command types. Values with SkippableBit set may be ignored by older nodes
// that do not know them.
const (
	CmdCreateBucket    CommandType = 1
	CmdDeleteBucket    CommandType = 2
	CmdSetBucketTags   CommandType = 3
	CmdSetBucketPolicy CommandType = 4
	CmdCreateUser      CommandType = 5
	CmdUpdateUser      CommandType = 6
	CmdDeleteUser      CommandType = 7
	CmdPutPolicy       CommandType = 8
	CmdDeletePolicy    CommandType = 9
	CmdAttachPolicy    CommandType = 10
	CmdCreateSession   CommandType = 11
	CmdRevokeSessions  CommandType = 12
	CmdPurgeSessions   CommandType = 13

	CmdCreateServiceAccount CommandType = 14
	CmdDeleteServiceAccount CommandType = 15
	CmdSetBucketLifecycle   CommandType = 16
	CmdSetSetting           CommandType = 17

	// SkippableBit marks commands that older nodes may skip.
	SkippableBit CommandType = 0x80
)

var commandNames = map[CommandType]string{
	CmdCreateBucket:    "CreateBucket",
	CmdDeleteBucket:    "DeleteBucket",
	CmdSetBucketTags:   "SetBucketTags",
	CmdSetBucketPolicy: "SetBucketPolicy",
	CmdCreateUser:      "CreateUser",
	CmdUpdateUser:      "UpdateUser",
	CmdDeleteUser:      "DeleteUser",
	CmdPutPolicy:       "PutPolicy",
	CmdDeletePolicy:    "DeletePolicy",
	CmdAttachPolicy:    "AttachPolicy",
	CmdCreateSession:   "CreateSession",
	CmdRevokeSessions:  "RevokeSessions",
	CmdPurgeSessions:   "PurgeSessions",

	CmdCreateServiceAccount: "CreateServiceAccount",
	CmdDeleteServiceAccount: "DeleteServiceAccount",
	CmdSetBucketLifecycle:   "SetBucketLifecycle",
	CmdSetSetting:           "SetSetting",
}

// String names the command type.
func (t CommandType) String() string {
	if s, ok := commandNames[t]; ok {
		return s
	}
	return fmt.Sprintf("CommandType(%d)", uint8(t))
}

// payloadVersion is the encoding version of command payloads written by this
// code. Decoders accept every version up to it.
const payloadVersion = 1

// encodeCommand frames a command as [type][payload version][JSON payload].
func encodeCommand(t CommandType, payload any) ([]byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("raftfsm: encode %s: %w", t, err)
	}
	b := make([]byte, 2, 2+len(body))
	b[0] = byte(t)
	b[1] = payloadVersion
	return append(b, body...), nil
}

// decodeCommand splits a framed command. It returns an error for a frame too
// short or a payload version from the future.
func decodeCommand(b []byte) (CommandType, []byte, error) {
	if len(b) < 2 {
		return 0, nil, fmt.Errorf("raftfsm: command of %d bytes is too short", len(b))
	}
	if b[1] == 0 || b[1] > payloadVersion {
		return 0, nil, fmt.Errorf("raftfsm: %s payload version %d not supported (max %d)", CommandType(b[0]), b[1], payloadVersion)
	}
	return CommandType(b[0]), b[2:], nil
}

// createBucketCmd creates a bucket; Created travels in the command.
type createBucketCmd struct {
	Bucket     Bucket `json:"bucket"`
	MaxBuckets int    `json:"max_buckets"`
}

type deleteBucketCmd struct {
	Name string `json:"name"`
}

type setBucketTagsCmd struct {
	Name string            `json:"name"`
	Tags map[string]string `json:"tags"`
}

type setBucketPolicyCmd struct {
	Name   string `json:"name"`
	Policy string `json:"policy"`
}

type setBucketLifecycleCmd struct {
	Name      string `json:"name"`
	Lifecycle string `json:"lifecycle"`
}

// setSettingCmd sets (or, with an empty Value, deletes) a cluster setting.
type setSettingCmd struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// EncodeCommand frames a command of type t with payload (the JSON form of
// the command's fields), as proposals do. Tools and tests use it with
// FSM.ApplyCommand to build states without running Raft.
func EncodeCommand(t CommandType, payload any) ([]byte, error) { return encodeCommand(t, payload) }
