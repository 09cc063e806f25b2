package fault

import "fmt"

// Msg is the stable id of a message a client reads: a field error (errors[].message) or a
// precise detail. Its words in each language Dompet speaks are in the catalogue below, so a
// message is written once and translated in one place; a Msg is not a string, so a message
// cannot be passed as English text that no catalogue knows.
type Msg uint16

// The messages. Each has an entry in catalogue (TestCatalogueIsComplete walks them all).
const (
	msgNone Msg = iota
	MsgRequired
	MsgRequiredLogin
	MsgRequiredTo
	MsgRequiredMax
	MsgRequiredKey
	MsgAtMostChars
	MsgAtMostBytes
	MsgMustAtMostChars
	MsgAtMostAttachments
	MsgValidUTF8
	MsgPhoneE164
	MsgEmail
	MsgTextLength
	MsgNameLength
	MsgLocale
	MsgTier
	MsgOTPMethod
	MsgChannel
	MsgPIN
	MsgActorType
	MsgCursor
	MsgPositiveAmount
	MsgAmountTooLarge
	MsgAmountTooSmall
	MsgAmountBelowFee
	MsgPurpose
	MsgCurrenciesDiffer
	MsgRemittanceQuote
	MsgCountry
	MsgSourceType
	MsgSelfTransfer
	MsgBankCode
	MsgAccountNumber
	MsgFileEmpty
	MsgFileType
	MsgFileContentType
	MsgFileDeclared
	MsgFileMultipart
	MsgFileEndsEarly
	MsgUnknownAttachment
	MsgDecision
	MsgFeeKind
	MsgRequiredFor
	MsgReasonWhy
	MsgNothingToChangeAgent
	MsgNothingToChangeTeam
	MsgRole
	MsgCapacity
	MsgNotATeam
	MsgTimeZone
	MsgMaxPeriods
	MsgDay
	MsgStart
	MsgEnd
	MsgEndAfterStart
	MsgPeriodsOverlap
	MsgMaxHolidays
	MsgDate
	MsgMaxTopics
	MsgTopic
	MsgSlug
	MsgURL
	MsgPrivateURL
	MsgKeyOnce
	MsgNoControlChars
	MsgRFC3339
	MsgLimit
	MsgTxKind
	MsgTxStatus
	MsgContentTypeJSON
	MsgBodyEmpty
	MsgBodySingle
	MsgJSONAt
	MsgJSONEarly
	MsgJSON
	MsgBeInteger
	MsgBeIntegerInRange
	MsgBeString
	MsgBeBool
	MsgBeNumber
	MsgBeArray
	MsgBeObject
	MsgBeType
	MsgNUL
	MsgBadName
	MsgDuplicate
	MsgUnknownField
	MsgWrongCase
	MsgNoUserLogin
	MsgMerchantNotFound
	MsgPaymentNotFound
	MsgTransactionNotFound
	MsgQuoteNotFound
	MsgAttachmentNotFound
	MsgRefundRequestNotFound
	MsgMerchantUnknown
	MsgRefundExceeds
	MsgQuoteUsed
	MsgRefundOnlyPayment
	MsgRequestDecided
	MsgRequestAlready
	MsgNoRate
	MsgTwoFactorOnEnroll
	MsgTwoFactorOn
	MsgNoEnrollment
	MsgWrongPassword
	MsgTwoFactorOff
	MsgOneOf
	MsgWholeNumberRange
	MsgNotEmpty
	MsgTooLong
	MsgAtMostCharsHas
	MsgNotYourself
	MsgUnknownBank
	MsgPhoneExample
	MsgCustomerNamed
	MsgNotYourTransaction
	MsgYourAttachments
	MsgUnknownAuthor
	MsgInternalStaff
	MsgVerificationHow
	MsgActiveAgent
	MsgChatOnly
	MsgRequiredIDs
	MsgSecurityAlerts
	MsgNoBadChars
	MsgCallEvent
	MsgCallID
	MsgCallFrom
	MsgCallTo
	MsgMessageOfConversation
	MsgOnlyCallEnded
	MsgJSONMalformed
	MsgBeJSONObject
	MsgMemberNames
	MsgUnknownMemberCase
	MsgUnknownMember
	MsgGivenOnce
	MsgScalar
	MsgPhoneVerified
	MsgEmailVerified
	MsgBankAccountSaved
	MsgFavoriteSaved
	MsgBankAccountNotFound
	MsgFavoriteNotFound
	MsgCheckoutNotFound
	MsgCheckoutClosed
	MsgCheckoutExpired
	MsgReturnURL
	MsgTimeOrDate
	MsgFromBeforeTo
	MsgRangeAtMostDays
	MsgNothingToChangeReply
	MsgNotYourRefundRequest
	MsgArticleSlug
	MsgArticleTags
	numMsgs
)

// words are a message's id (stable, for clients and logs) and its text per language, as
// fmt formats with the message's arguments. The zh-CN words of a field error follow the
// field's name ("phone 必须…").
type words struct{ id, en, zh string }

var catalogue = [numMsgs]words{
	MsgRequired:          {"required", "is required", "为必填项"},
	MsgRequiredLogin:     {"required_login", "is required: a phone number or email", "为必填项：请填写手机号或邮箱"},
	MsgRequiredTo:        {"required_recipient", "is required: a phone number, email or user id", "为必填项：请填写手机号、邮箱或用户 ID"},
	MsgRequiredMax:       {"required_max_chars", "is required, at most %d characters", "为必填项，最多 %d 个字符"},
	MsgRequiredKey:       {"required_key", "is required, 1-255 characters", "为必填项，长度 1 到 255 个字符"},
	MsgAtMostChars:       {"max_chars", "at most %d characters", "最多 %d 个字符"},
	MsgMustAtMostChars:   {"must_max_chars", "must be at most %d characters", "最多 %d 个字符"},
	MsgAtMostBytes:       {"max_bytes", "must be at most %d bytes", "最多 %d 个字节"},
	MsgAtMostAttachments: {"max_attachments", "at most %d attachments", "最多 %d 个附件"},
	MsgValidUTF8:         {"utf8", "must be valid UTF-8 text", "必须是有效的 UTF-8 文本"},
	MsgPhoneE164:         {"phone_e164", "must be in E.164 form (+ and 8 to 15 digits) or a local number", "必须是 E.164 格式（+ 加 8 到 15 位数字）或本地号码"},
	MsgEmail:             {"email", "must be an email address", "必须是有效的邮箱地址"},
	MsgTextLength:        {"text_length", "must be %d to %d characters of text", "必须是 %d 到 %d 个字符的文本"},
	MsgNameLength:        {"name_length", "must be %d to %d characters", "长度必须为 %d 到 %d 个字符"},
	MsgLocale:            {"locale", `must be "en" or "zh-CN"`, `必须是 "en" 或 "zh-CN"`},
	MsgTier:              {"tier", `must be "basic" or "verified"`, `必须是 "basic" 或 "verified"`},
	MsgOTPMethod:         {"otp_method", `must be "sms" or "email"`, `必须是 "sms" 或 "email"`},
	MsgChannel:           {"channel", `must be "sms" or "email"`, `必须是 "sms" 或 "email"`},
	MsgPIN:               {"pin_digits", "must be 6 digits", "必须是 6 位数字"},
	MsgActorType:         {"actor_type", `must be "user", "staff" or "system"`, `必须是 "user"、"staff" 或 "system"`},
	MsgCursor:            {"cursor", "is not a cursor of this list", "不是此列表的游标"},
	MsgPositiveAmount:    {"positive_amount", "must be a positive integer in minor units", "必须是以最小货币单位表示的正整数"},
	MsgAmountTooLarge:    {"amount_too_large", "is too large to convert", "金额过大，无法兑换"},
	MsgAmountTooSmall:    {"amount_too_small", "is too small to convert", "金额过小，无法兑换"},
	MsgAmountBelowFee:    {"amount_below_fee", "is not more than the top-up fee", "不高于充值手续费"},
	MsgPurpose:           {"purpose", "must be conversion or remittance", "必须是 conversion 或 remittance"},
	MsgCurrenciesDiffer:  {"currencies_differ", "must differ from from_currency", "必须与 from_currency 不同"},
	MsgRemittanceQuote:   {"remittance_quote", "is a remittance quote", "是汇款报价，不能用于兑换"},
	MsgCountry:           {"country", "must be an ISO 3166 alpha-2 code such as SG", "必须是 ISO 3166 两位字母代码，例如 SG"},
	MsgSourceType:        {"source_type", "must be bank_transfer or card", "必须是 bank_transfer 或 card"},
	MsgSelfTransfer:      {"self_transfer", "cannot transfer to yourself", "不能转账给自己"},
	MsgBankCode:          {"bank_code", "must be 3-11 letters or digits", "必须是 3 到 11 位字母或数字"},
	MsgAccountNumber:     {"account_number", "must be 5-34 digits", "必须是 5 到 34 位数字"},
	MsgFileEmpty:         {"file_empty", "is empty", "是空文件"},
	MsgFileType:          {"file_type", "must be an image (PNG, JPEG, GIF, WebP, HEIC) or a PDF", "必须是图片（PNG、JPEG、GIF、WebP、HEIC）或 PDF"},
	MsgFileContentType:   {"file_content_type", "has a malformed Content-Type", "的 Content-Type 格式错误"},
	MsgFileDeclared:      {"file_declared", "is declared as %s but its content is %s", "声明为 %s，但内容是 %s"},
	MsgFileMultipart:     {"file_multipart", "send multipart/form-data with one part named file", "请用 multipart/form-data 发送，其中一个部分名为 file"},
	MsgFileEndsEarly:     {"file_ends_early", "the multipart body ends too early", "multipart 请求体提前结束"},
	MsgUnknownAttachment: {"unknown_attachment", "unknown attachment %s", "附件 %s 不存在"},
	MsgDecision:          {"decision", "must be approve or reject", "必须是 approve 或 reject"},
	MsgFeeKind:           {"fee_kind", "must be one of %s", "必须是以下之一：%s"},
	MsgRequiredFor:       {"required_for", "is required for %s", "对于 %s 为必填项"},
	MsgReasonWhy:         {"reason_why", "must say why, in 1 to 500 characters", "必须说明原因，1 到 500 个字符"},
	MsgNothingToChangeAgent: {"nothing_to_change_agent", "nothing to change: give role, team, capacity or disabled",
		"没有要修改的内容：请提供 role、team、capacity 或 disabled"},
	MsgNothingToChangeTeam: {"nothing_to_change_team", "nothing to change: give name, topics or business_hours",
		"没有要修改的内容：请提供 name、topics 或 business_hours"},
	MsgRole: {"role", `must be "agent", "reviewer", "supervisor" or "admin"`,
		`必须是 "agent"、"reviewer"、"supervisor" 或 "admin"`},
	MsgCapacity:       {"capacity", "must be from 0 to %d", "必须在 0 到 %d 之间"},
	MsgNotATeam:       {"not_a_team", "is not a team (GET /api/v1/agent/teams lists them)", "不是已有的团队（GET /api/v1/agent/teams 列出所有团队）"},
	MsgTimeZone:       {"time_zone", "must be an IANA time zone such as Asia/Jakarta", "必须是 IANA 时区，例如 Asia/Jakarta"},
	MsgMaxPeriods:     {"max_periods", "must have at most %d periods", "最多 %d 个时段"},
	MsgDay:            {"day", "must be one of mon, tue, wed, thu, fri, sat, sun", "必须是 mon、tue、wed、thu、fri、sat、sun 之一"},
	MsgStart:          {"start_time", "must be a time HH:MM from 00:00 to 23:59", "必须是 00:00 到 23:59 之间的 HH:MM 时间"},
	MsgEnd:            {"end_time", "must be a time HH:MM up to 24:00", "必须是不晚于 24:00 的 HH:MM 时间"},
	MsgEndAfterStart:  {"end_after_start", "must be after start", "必须晚于开始时间"},
	MsgPeriodsOverlap: {"periods_overlap", "periods of %s overlap", "%s 的时段有重叠"},
	MsgMaxHolidays:    {"max_holidays", "must have at most %d dates", "最多 %d 个日期"},
	MsgDate:           {"date", "must be a date YYYY-MM-DD", "必须是 YYYY-MM-DD 格式的日期"},
	MsgMaxTopics:      {"max_topics", "must have at most %d topics", "最多 %d 个主题"},
	MsgTopic: {"topic", "must be lower-case letters, digits and '_', starting with a letter, at most 40",
		"只能包含小写字母、数字和 '_'，以字母开头，最多 40 个字符"},
	MsgSlug: {"slug", "must be 2 to 32 lower-case letters, digits and '-', starting with a letter",
		"必须是 2 到 32 个小写字母、数字或 '-'，以字母开头"},
	MsgURL: {"url", "must be an absolute http or https URL", "必须是完整的 http 或 https 网址"},
	MsgPrivateURL: {"private_url", "must not point to a loopback, private, link-local or cloud metadata address",
		"不能指向回环、私有、链路本地或云元数据地址"},
	MsgKeyOnce:               {"header_once", "must be sent once, not in several headers", "请求头只能发送一次"},
	MsgNoControlChars:        {"no_control_chars", "must not hold control characters", "不能包含控制字符"},
	MsgRFC3339:               {"rfc3339", "must be a time in RFC 3339, e.g. 2026-11-02T09:00:00Z", "必须是 RFC 3339 时间，例如 2026-11-02T09:00:00Z"},
	MsgLimit:                 {"limit", "must be a whole number from 1 to %d", "必须是 1 到 %d 之间的整数"},
	MsgTxKind:                {"transaction_kind", "unknown transaction kind", "不是已知的交易类型"},
	MsgTxStatus:              {"transaction_status", "must be pending, succeeded, failed or reversed", "必须是 pending、succeeded、failed 或 reversed"},
	MsgContentTypeJSON:       {"content_type_json", "must be application/json", "必须是 application/json"},
	MsgBodyEmpty:             {"body_empty", "must not be empty: send a JSON object", "不能为空：请发送一个 JSON 对象"},
	MsgBodySingle:            {"body_single", "must hold a single JSON value", "只能包含一个 JSON 值"},
	MsgJSONAt:                {"json_syntax", "malformed JSON at byte %d: %s", "JSON 格式错误，位于第 %d 字节：%s"},
	MsgJSONEarly:             {"json_ends_early", "malformed JSON: it ends too early", "JSON 格式错误：内容提前结束"},
	MsgJSON:                  {"json", "%s", "JSON 无法读取：%s"},
	MsgBeInteger:             {"be_integer", "must be an integer", "必须是整数"},
	MsgBeIntegerInRange:      {"be_integer_in_range", "must be an integer in range, without a fraction", "必须是范围内的整数，不能有小数"},
	MsgBeString:              {"be_string", "must be a string", "必须是字符串"},
	MsgBeBool:                {"be_bool", "must be true or false", "必须是 true 或 false"},
	MsgBeNumber:              {"be_number", "must be a number", "必须是数字"},
	MsgBeArray:               {"be_array", "must be an array", "必须是数组"},
	MsgBeObject:              {"be_object", "must be an object", "必须是对象"},
	MsgBeType:                {"be_type", "must be a %s", "必须是 %s 类型"},
	MsgNUL:                   {"nul", "must not contain the character U+0000", "不能包含字符 U+0000"},
	MsgBadName:               {"bad_name", "holds a member name that is not valid UTF-8 text", "中有成员名称不是有效的 UTF-8 文本"},
	MsgDuplicate:             {"duplicate", "appears more than once: send each field once", "重复出现：每个字段只能出现一次"},
	MsgUnknownField:          {"unknown_field", "unknown field", "不是已知字段"},
	MsgWrongCase:             {"wrong_case", `is not a field: names are case-sensitive, write "%s"`, `不是有效字段：字段名区分大小写，应写作 "%s"`},
	MsgNoUserLogin:           {"no_such_user", "no Dompet user has that phone, email or id", "没有 Dompet 用户使用该手机号、邮箱或 ID。"},
	MsgMerchantNotFound:      {"no_such_merchant", "merchant not found", "找不到该商户。"},
	MsgPaymentNotFound:       {"no_such_payment", "payment not found", "找不到该付款。"},
	MsgTransactionNotFound:   {"no_such_transaction", "transaction not found", "找不到该交易。"},
	MsgQuoteNotFound:         {"no_such_quote", "quote not found", "找不到该报价。"},
	MsgAttachmentNotFound:    {"no_such_attachment", "attachment not found", "找不到该附件。"},
	MsgRefundRequestNotFound: {"no_such_refund_request", "refund request not found", "找不到该退款申请。"},
	MsgMerchantUnknown:       {"no_such_merchant_id", "no such merchant", "没有这个商户。"},
	MsgRefundExceeds:         {"refund_exceeds", "the refund would exceed what is left of the payment", "退款金额将超过该付款的剩余可退金额。"},
	MsgQuoteUsed:             {"quote_used", "the quote was already used", "该报价已被使用。"},
	MsgRefundOnlyPayment:     {"refund_only_payment", "only a successful payment to a merchant can be refunded", "只有成功付给商户的款项才能退款。"},
	MsgRequestDecided:        {"request_decided", "the refund request was already decided", "该退款申请已处理。"},
	MsgRequestAlready:        {"request_already", "the refund request is already %s", "该退款申请已是 %s 状态。"},
	MsgNoRate:                {"no_rate", "no exchange rate from %s to %s", "没有从 %s 到 %s 的汇率。"},
	MsgTwoFactorOnEnroll:     {"two_factor_on_enroll", "two-factor is already on; turn it off before enrolling again", "两步验证已开启；请先关闭再重新绑定。"},
	MsgTwoFactorOn:           {"two_factor_on", "two-factor is already on", "两步验证已开启。"},
	MsgNoEnrollment:          {"no_enrollment", "no TOTP enrollment is waiting: POST /api/v1/me/two-factor/totp first", "没有待确认的 TOTP 绑定：请先调用 POST /api/v1/me/two-factor/totp。"},
	MsgWrongPassword:         {"wrong_password", "the password is wrong", "密码错误。"},
	MsgTwoFactorOff:          {"two_factor_off", "two-factor is not on", "两步验证未开启。"},
	MsgOneOf:                 {"one_of", "must be one of %s", "必须是以下之一：%s"},
	MsgWholeNumberRange:      {"whole_number_range", "must be a whole number from %d to %d", "必须是 %d 到 %d 之间的整数"},
	MsgNotEmpty:              {"not_empty", "must not be empty", "不能为空"},
	MsgTooLong:               {"too_long", "is too long", "太长了"},
	MsgAtMostCharsHas:        {"max_chars_has", "must be at most %d characters (this one has %d)", "最多 %d 个字符（当前为 %d 个）"},
	MsgNotYourself:           {"not_yourself", "cannot be yourself", "不能是你自己"},
	MsgUnknownBank:           {"unknown_bank", "is not a bank Dompet knows: see GET /api/v1/banks", "不是 Dompet 支持的银行，请查看 GET /api/v1/banks"},
	MsgPhoneExample:          {"phone_example", "must be a phone number, e.g. +6281234567890", "必须是手机号，例如 +6281234567890"},
	MsgCustomerNamed:         {"customer_named", "must name a user, an email or a phone", "必须指明用户、邮箱或手机号"},
	MsgNotYourTransaction:    {"not_your_transaction", "is not one of your transactions", "不是你的交易"},
	MsgYourAttachments:       {"your_attachments", "must be attachments you uploaded", "必须是你上传的附件"},
	MsgUnknownAuthor:         {"unknown_author", "unknown author", "不是已知的作者类型"},
	MsgInternalStaff:         {"internal_staff", "only staff write internal notes", "只有工作人员可以写内部备注"},
	MsgVerificationHow:       {"verification_how", "must say how the customer's identity was checked, in 1 to 500 characters", "必须说明如何核实了客户身份，1 到 500 个字符"},
	MsgActiveAgent:           {"active_agent", "must be an active agent, supervisor or admin", "必须是在职的客服、主管或管理员"},
	MsgChatOnly:              {"chat_only", "must be chat; email and phone conversations start from their channels", "必须是 chat；邮件和电话会话从各自的渠道发起"},
	MsgRequiredIDs:           {"required_ids", "is required: 1-200 notification ids", "为必填项：1 到 200 个通知 ID"},
	MsgSecurityAlerts:        {"security_alerts", "security alerts cannot be turned off", "安全提醒不能关闭"},
	MsgNoBadChars:            {"no_bad_chars", "must not hold U+FFFD, a lone surrogate or U+0000", "不能包含 U+FFFD、单独的代理项或 U+0000"},
	MsgCallEvent:             {"call_event", "must be call.incoming, call.answered or call.ended", "必须是 call.incoming、call.answered 或 call.ended"},
	MsgCallID:                {"call_id", "must be 1 to 128 printable ASCII characters without spaces", "必须是 1 到 128 个可打印 ASCII 字符，不含空格"},
	MsgCallFrom:              {"call_from", `must be an E.164 number such as +6281234567890, or "anonymous"`, `必须是 E.164 号码（例如 +6281234567890）或 "anonymous"`},
	MsgCallTo:                {"call_to", "must be an E.164 number such as +6221500000", "必须是 E.164 号码，例如 +6221500000"},
	MsgMessageOfConversation: {"message_of_conversation", "must be the id of a message of this conversation", "必须是此会话中一条消息的 ID"},
	MsgOnlyCallEnded:         {"only_call_ended", "is only for call.ended", "仅用于 call.ended"},
	MsgJSONMalformed:         {"json_malformed", "malformed JSON: %s", "JSON 格式错误：%s"},
	MsgBeJSONObject:          {"be_json_object", "must be a JSON object", "必须是 JSON 对象"},
	MsgMemberNames:           {"member_names", "member names must be valid UTF-8 without lone surrogates", "成员名称必须是有效的 UTF-8，且不含单独的代理项"},
	MsgUnknownMemberCase:     {"unknown_member_case", "unknown member: did you mean %q? Names are case-sensitive", "不是已知成员：你是想写 %q 吗？名称区分大小写"},
	MsgUnknownMember:         {"unknown_member", "unknown member", "不是已知成员"},
	MsgGivenOnce:             {"given_once", "must be given once", "只能出现一次"},
	MsgScalar:                {"scalar", "must not be an object or an array", "不能是对象或数组"},
	MsgPhoneVerified:         {"phone_verified", "the phone is already verified", "手机号已验证。"},
	MsgEmailVerified:         {"email_verified", "the email is already verified", "邮箱已验证。"},
	MsgBankAccountSaved:      {"bank_account_saved", "this bank account is already saved", "该银行账户已保存。"},
	MsgFavoriteSaved:         {"favorite_saved", "this recipient is already a favourite", "该收款人已在常用联系人中。"},
	MsgBankAccountNotFound:   {"no_such_bank_account", "bank account not found", "找不到该银行账户。"},
	MsgFavoriteNotFound:      {"no_such_favorite", "favourite not found", "找不到该常用联系人。"},
	MsgCheckoutNotFound:      {"no_such_checkout", "checkout not found", "找不到该收银订单。"},
	MsgCheckoutClosed:        {"checkout_closed", "this checkout is no longer open: it was paid, cancelled or failed", "该收银订单已结束：已支付、已取消或已失败。"},
	MsgCheckoutExpired:       {"checkout_expired", "this checkout has expired: go back to the merchant and start again", "该收银订单已过期，请返回商户页面重新下单。"},
	MsgReturnURL:             {"return_url", "must be an https:// URL (http:// only on localhost in sandbox mode), without user name or password, at most 2048 characters", "必须是 https:// 网址（仅在沙箱模式下可对 localhost 使用 http://），不能包含用户名或密码，最多 2048 个字符"},
	MsgTimeOrDate:            {"time_or_date", "must be a time in RFC 3339 (2026-11-02T09:00:00Z) or a date YYYY-MM-DD", "必须是 RFC 3339 时间（2026-11-02T09:00:00Z）或 YYYY-MM-DD 格式的日期"},
	MsgFromBeforeTo:          {"from_before_to", "must be before to", "必须早于 to"},
	MsgRangeAtMostDays:       {"range_at_most_days", "the period must be at most %d days", "时间范围最多 %d 天"},
	MsgNothingToChangeReply:  {"nothing_to_change_reply", "nothing to change: give title, body, locale, team or topic", "没有要修改的内容：请提供 title、body、locale、team 或 topic"},
	MsgNotYourRefundRequest:  {"not_customer_refund_request", "is not a refund request of this conversation's customer", "不是此会话客户的退款申请"},
	MsgArticleSlug: {"article_slug", "must be 2 to 80 lower-case letters, digits and '-', starting with a letter or digit",
		"必须是 2 到 80 个小写字母、数字或 '-'，以字母或数字开头"},
	MsgArticleTags: {"article_tags", "must be at most 20 tags of 1 to 40 characters each", "最多 20 个标签，每个 1 到 40 个字符"},
}

// ID is the message's stable id ("required", "phone_e164", …).
func (m Msg) ID() string {
	if m >= numMsgs {
		return ""
	}
	return catalogue[m].id
}

// Text is m in the language tag names ("en", "zh-CN"), formatted with args; English for any
// other tag.
func (m Msg) Text(tag string, args ...any) string {
	if m >= numMsgs {
		return fmt.Sprintf("message %d", m)
	}
	w := catalogue[m]
	tpl := w.en
	if tag == "zh-CN" && w.zh != "" {
		tpl = w.zh
	}
	if len(args) == 0 {
		return tpl
	}
	return fmt.Sprintf(tpl, args...)
}
