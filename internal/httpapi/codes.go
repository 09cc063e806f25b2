package httpapi

// problemCode is one stable error code: its HTTP status and its title and generic detail in
// each locale (indexed by locale).
type problemCode struct {
	status int
	title  [numLocales]string
	detail [numLocales]string
}

// codes is the one table from error code to HTTP status and localized text. It holds every
// code of API.md's error table plus the few the HTTP layer itself answers (405, 413, 500, and 503 unavailable for /readyz).
// A fault.Error whose code is not here is a bug; it answers 500 and is logged.
var codes = map[string]problemCode{
	// 400
	"invalid_request": {400,
		[numLocales]string{"Invalid request", "请求无效"},
		[numLocales]string{"The request is not valid.", "请求无效，请检查填写的内容。"}},
	"idempotency_key_required": {400,
		[numLocales]string{"Idempotency key required", "缺少幂等键"},
		[numLocales]string{"This request moves money and needs an Idempotency-Key header (1 to 255 characters).", "此请求涉及资金变动，需要提供 Idempotency-Key 请求头（1 到 255 个字符）。"}},
	// 401
	"unauthenticated": {401,
		[numLocales]string{"Not signed in", "未登录"},
		[numLocales]string{"Sign in to continue.", "请先登录。"}},
	"invalid_credentials": {401,
		[numLocales]string{"Wrong login or password", "账号或密码错误"},
		[numLocales]string{"The login or the password is wrong.", "账号或密码不正确。"}},
	"second_factor_required": {401,
		[numLocales]string{"Verification code required", "需要验证码"},
		[numLocales]string{"Enter the verification code to finish signing in.", "请输入验证码以完成登录。"}},
	"invalid_code": {401,
		[numLocales]string{"Invalid code", "验证码无效"},
		[numLocales]string{"The code is wrong, expired or already used.", "验证码错误、已过期或已被使用。"}},
	// 403
	"forbidden": {403,
		[numLocales]string{"Not allowed", "无权操作"},
		[numLocales]string{"You are not allowed to do this.", "您无权执行此操作。"}},
	"pin_locked": {403,
		[numLocales]string{"PIN locked", "支付密码已锁定"},
		[numLocales]string{"Too many wrong PINs. Reset your PIN to pay again.", "支付密码错误次数过多，请重置支付密码后再付款。"}},
	"pin_required": {403,
		[numLocales]string{"PIN required", "需要设置支付密码"},
		[numLocales]string{"Set a payment PIN before you send money.", "请先设置支付密码，然后再付款或转账。"}},
	"phone_unverified": {403,
		[numLocales]string{"Phone not verified", "手机号未验证"},
		[numLocales]string{"Verify your phone number before you send money.", "请先验证手机号，然后再付款或转账。"}},
	// 404, 405
	"not_found": {404,
		[numLocales]string{"Not found", "未找到"},
		[numLocales]string{"There is nothing here.", "请求的内容不存在。"}},
	"method_not_allowed": {405,
		[numLocales]string{"Method not allowed", "不支持该请求方法"},
		[numLocales]string{"This address does not accept this method.", "该地址不支持此请求方法。"}},
	// 409
	"idempotency_conflict": {409,
		[numLocales]string{"Idempotency key reused", "幂等键重复使用"},
		[numLocales]string{"This Idempotency-Key was already used with a different request.", "该 Idempotency-Key 已用于另一个不同的请求。"}},
	"already_exists": {409,
		[numLocales]string{"Already exists", "已存在"},
		[numLocales]string{"It already exists.", "该记录已存在。"}},
	"invalid_state": {409,
		[numLocales]string{"Not possible now", "当前状态不允许此操作"},
		[numLocales]string{"This cannot be done in the current state.", "当前状态下无法执行此操作。"}},
	// 413
	"too_large": {413,
		[numLocales]string{"Request too large", "请求内容过大"},
		[numLocales]string{"The request body is too large.", "请求内容超过了允许的大小。"}},
	// 422
	"insufficient_balance": {422,
		[numLocales]string{"Insufficient balance", "余额不足"},
		[numLocales]string{"Your balance is not enough for this amount and its fee.", "您的余额不足以支付该金额及手续费。"}},
	"limit_exceeded": {422,
		[numLocales]string{"Limit exceeded", "超出限额"},
		[numLocales]string{"This would go over a limit of your account.", "此操作将超出您账户的限额。"}},
	"account_restricted": {422,
		[numLocales]string{"Account restricted", "账户受限"},
		[numLocales]string{"Your account is restricted and cannot do this. Contact support.", "您的账户受到限制，无法执行此操作，请联系客服。"}},
	"risk_review": {422,
		[numLocales]string{"Held for review", "交易待审核"},
		[numLocales]string{"This transaction needs a review before it can go through.", "此交易需要审核后才能完成。"}},
	"invalid_pin": {422,
		[numLocales]string{"Wrong PIN", "支付密码错误"},
		[numLocales]string{"The PIN is wrong.", "支付密码不正确。"}},
	"currency_not_supported": {422,
		[numLocales]string{"Currency not supported", "不支持该币种"},
		[numLocales]string{"This currency is not supported.", "暂不支持该币种。"}},
	"quote_expired": {422,
		[numLocales]string{"Quote expired", "报价已过期"},
		[numLocales]string{"The quote has expired. Ask for a new one.", "报价已过期，请重新获取报价。"}},
	"weak_password": {422,
		[numLocales]string{"Password too weak", "密码强度不足"},
		[numLocales]string{"Use at least 10 characters with letters, digits and a symbol, and not a common password.", "密码至少 10 个字符，需包含字母、数字和符号，且不能是常见密码。"}},
	"password_reused": {422,
		[numLocales]string{"Password used before", "密码曾经使用过"},
		[numLocales]string{"Choose a password you have not used recently.", "请选择一个最近未使用过的密码。"}},
	"refund_not_allowed": {422,
		[numLocales]string{"Refund not allowed", "不允许退款"},
		[numLocales]string{"This refund is not allowed, for example it is more than what is left to refund.", "不允许此退款，例如退款金额超过了可退余额。"}},
	"provider_declined": {422,
		[numLocales]string{"Declined", "交易被拒绝"},
		[numLocales]string{"The bank or card provider declined this.", "银行或发卡机构拒绝了此交易。"}},
	// 423
	"account_locked": {423,
		[numLocales]string{"Account locked", "账户已锁定"},
		[numLocales]string{"Your account is locked after too many failed sign-ins. Try again later or recover your account.", "由于多次登录失败，您的账户已被锁定。请稍后再试或通过找回账户解锁。"}},
	// 429
	"rate_limited": {429,
		[numLocales]string{"Too many requests", "请求过于频繁"},
		[numLocales]string{"Too many requests. Wait a moment and try again.", "请求过于频繁，请稍后再试。"}},
	// 500
	"internal": {500,
		[numLocales]string{"Something went wrong", "系统出错"},
		[numLocales]string{"Something went wrong on our side. Try again; if it keeps happening, contact support with the request id.", "系统出现问题，请重试；如果问题持续存在，请携带请求编号联系客服。"}},
	// 503
	"provider_unavailable": {503,
		[numLocales]string{"Provider unavailable", "服务暂时不可用"},
		[numLocales]string{"The bank or card provider is not answering. No money moved; try again later.", "银行或发卡机构暂时无响应，资金未发生变动，请稍后再试。"}},
	"unavailable": {503, // /readyz when the store does not answer
		[numLocales]string{"Service unavailable", "服务不可用"},
		[numLocales]string{"The service is not ready. Try again later.", "服务尚未就绪，请稍后再试。"}},
}
