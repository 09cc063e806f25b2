package support

import (
	"context"
	"encoding/json"
)

// TypingEvent says someone is writing in a conversation: {"type":"typing","author":{…}}. It
// is never stored; a stream that misses one misses nothing that matters.
type TypingEvent struct {
	Type           string `json:"type" enum:"typing"`
	ConversationID string `json:"conversation_id"`
	Author         Author `json:"author"`
}

// Typing publishes that a is writing in the conversation convID, on the conversation's
// subject (both the customer's and the staff's streams read it). The caller has checked
// that a may write there.
func (s *Service) Typing(ctx context.Context, convID string, a Author) {
	b, err := json.Marshal(TypingEvent{Type: "typing", ConversationID: convID, Author: a})
	if err == nil {
		err = s.bus.Publish(ctx, SubjectConversation(convID), b)
	}
	if err != nil {
		s.log.WarnContext(ctx, "support: publish typing", "conversation", convID, "err", err)
	}
}
