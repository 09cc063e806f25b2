package httpapi

import (
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/notify"
)

// access says who may call a route; mountRoutes wraps the handler accordingly and the OpenAPI
// document shows it as the operation's security.
type access int

const (
	authNone     access = iota // anyone
	authUser                   // a wallet user's session token (requireUser)
	authStaff                  // a support agent's, supervisor's or admin's token
	authMerchant               // a merchant's API key (requireMerchant)
	// authChat is authUser that also takes the chat widget's chat-only session
	// (identity.ScopeChat): the customer's conversation stream, and no other route.
	authChat
)

// route is one line of the API: the method pattern (Go 1.22 ServeMux syntax), who may call
// it, the handler, and its OpenAPI operation (declared next to the handler).
type route struct {
	pattern string
	auth    access
	handle  handlerFunc
	doc     operation
}

// routes is the one route table of the API. Add a line in the section of your resource; the
// handler and its doc live in the resource's file (wallet.go: s.topup and topupDoc).
// The OpenAPI document is built from this table, and a test checks every pattern is in it.
func (s *Server) routes() []route {
	return []route{
		// Operations (ops.go)
		{"GET /healthz", authNone, s.healthz, healthzDoc},
		{"GET /readyz", authNone, s.readyz, readyzDoc},
		{"GET /metrics", authNone, s.metricsHandler(), metricsDoc},
		{"GET /api/openapi.json", authNone, s.openAPI, openAPIDoc},

		// Identity: auth, me, sessions, two-factor, PIN (auth.go, me.go)
		{"POST /api/v1/auth/register", authNone, s.register, registerDoc},
		{"POST /api/v1/auth/login", authNone, s.login, loginDoc},
		{"POST /api/v1/auth/logout", authUser, s.logout, logoutDoc},
		{"POST /api/v1/auth/recovery", authNone, s.recovery, recoveryDoc},
		{"POST /api/v1/auth/recovery/verify", authNone, s.recoveryVerify, recoveryVerifyDoc},
		{"POST /api/v1/auth/recovery/reset", authNone, s.recoveryReset, recoveryResetDoc},
		{"GET /api/v1/me", authUser, s.me, meDoc},
		{"GET /api/v1/me/sessions", authUser, s.sessions, sessionsDoc},
		{"DELETE /api/v1/me/sessions/{id}", authUser, s.revokeSession, revokeSessionDoc},
		{"GET /api/v1/me/security-events", authUser, s.securityEvents, securityEventsDoc},
		{"POST /api/v1/me/password", authUser, s.changePassword, changePasswordDoc},
		{"POST /api/v1/me/pin", authUser, s.setPIN, setPINDoc},
		{"POST /api/v1/me/phone/verify", authUser, s.verifyContact(notify.SMS), verifyPhoneDoc},
		{"POST /api/v1/me/phone/verify/resend", authUser, s.resendVerification(notify.SMS), resendPhoneDoc},
		{"POST /api/v1/me/email/verify", authUser, s.verifyContact(notify.Email), verifyEmailDoc},
		{"POST /api/v1/me/email/verify/resend", authUser, s.resendVerification(notify.Email), resendEmailDoc},
		{"POST /api/v1/me/pin/reset", authUser, s.pinReset, pinResetDoc},
		{"POST /api/v1/me/pin/reset/confirm", authUser, s.pinResetConfirm, pinResetConfirmDoc},
		{"POST /api/v1/me/two-factor/totp", authUser, s.enrollTOTP, enrollTOTPDoc},
		{"POST /api/v1/me/two-factor/totp/confirm", authUser, s.confirmTOTP, confirmTOTPDoc},
		{"DELETE /api/v1/me/two-factor", authUser, s.disableTwoFactor, disableTwoFactorDoc},
		{"GET /api/v1/me/devices", authUser, s.devices, devicesDoc},
		{"GET /api/v1/me/notifications", authUser, s.notifications, notificationsDoc},
		{"POST /api/v1/me/notifications/read", authUser, s.readNotifications, readNotificationsDoc},
		{"GET /api/v1/me/notification-settings", authUser, s.notificationSettings, notificationSettingsDoc},
		{"PUT /api/v1/me/notification-settings", authUser, s.setNotificationSettings, setNotificationSettingsDoc},
		{"DELETE /api/v1/me/devices/{id}", authUser, s.revokeDevice, revokeDeviceDoc},

		// Wallet: balances, top-ups, payments, transfers, withdrawals, names before money
		// moves (recipients.go), fees, FX, remittances, transactions, refund requests,
		// attachments (wallet.go, …)
		{"GET /api/v1/wallet", authUser, s.walletSummary, walletSummaryDoc},
		{"POST /api/v1/topups", authUser, s.topup, topupDoc},
		{"POST /api/v1/payments", authUser, s.pay, payDoc},
		{"POST /api/v1/transfers", authUser, s.transfer, transferDoc},
		{"POST /api/v1/withdrawals", authUser, s.withdraw, withdrawDoc},
		{"GET /api/v1/recipients/lookup", authUser, s.lookupRecipient, lookupRecipientDoc},
		{"GET /api/v1/merchants/{id}", authUser, s.merchantName, merchantNameDoc},
		{"GET /api/v1/banks", authUser, s.banks, banksDoc},
		{"POST /api/v1/bank-accounts/inquiry", authUser, s.inquireBankAccount, inquireBankAccountDoc},
		{"GET /api/v1/bank-accounts", authUser, s.bankAccounts, bankAccountsDoc},
		{"POST /api/v1/bank-accounts", authUser, s.saveBankAccount, saveBankAccountDoc},
		{"DELETE /api/v1/bank-accounts/{id}", authUser, s.deleteBankAccount, deleteBankAccountDoc},
		{"GET /api/v1/favorites", authUser, s.favorites, favoritesDoc},
		{"POST /api/v1/favorites", authUser, s.addFavorite, addFavoriteDoc},
		{"DELETE /api/v1/favorites/{id}", authUser, s.deleteFavorite, deleteFavoriteDoc},
		{"GET /api/v1/fees/quote", authNone, s.feeQuote, feeQuoteDoc},
		{"POST /api/v1/fx/quotes", authUser, s.fxQuote, fxQuoteDoc},
		{"POST /api/v1/fx/conversions", authUser, s.fxConvert, fxConvertDoc},
		{"POST /api/v1/remittances", authUser, s.remit, remitDoc},
		{"GET /api/v1/transactions", authUser, s.transactions, transactionsDoc},
		{"GET /api/v1/transactions/{id}", authUser, s.transaction, transactionDoc},
		{"POST /api/v1/refund-requests", authUser, s.createRefundRequest, createRefundRequestDoc},
		{"GET /api/v1/refund-requests", authUser, s.refundRequests, refundRequestsDoc},
		{"GET /api/v1/refund-requests/{id}", authUser, s.refundRequest, refundRequestDoc},
		{"POST /api/v1/attachments", authUser, s.uploadAttachment, uploadAttachmentDoc},
		{"GET /api/v1/attachments/{id}", authUser, s.downloadAttachment, downloadAttachmentDoc},

		// Merchants (merchant.go)
		{"POST /api/v1/merchant/refunds", authMerchant, s.merchantRefund, merchantRefundDoc},
		{"GET /api/v1/merchant/refund-requests", authMerchant, s.merchantRefundRequests, merchantRefundRequestsDoc},
		{"POST /api/v1/merchant/refund-requests/{id}/decision", authMerchant, s.merchantDecide, merchantDecideDoc},
		{"GET /api/v1/merchant/balance", authMerchant, s.merchantBalance, merchantBalanceDoc},
		{"GET /api/v1/merchant/payments", authMerchant, s.merchantPayments, merchantPaymentsDoc},
		{"POST /api/v1/merchant/checkouts", authMerchant, s.createCheckout, createCheckoutDoc},
		{"GET /api/v1/merchant/checkouts/{id}", authMerchant, s.merchantCheckout, merchantCheckoutDoc},

		// Checkout, customer side (checkout.go)
		{"GET /api/v1/checkouts/{id}", authUser, s.customerCheckout, customerCheckoutDoc},
		{"POST /api/v1/checkouts/{id}/pay", authUser, s.payCheckout, payCheckoutDoc},
		{"POST /api/v1/checkouts/{id}/cancel", authUser, s.cancelCheckout, cancelCheckoutDoc},

		// Help center (help.go)
		{"GET /api/v1/help/articles", authNone, s.helpSearch, helpSearchDoc},
		{"GET /api/v1/help/categories", authNone, s.helpCategories, helpCategoriesDoc},
		{"GET /api/v1/help/articles/{slug}", authNone, s.helpArticle, helpArticleDoc},
		{"POST /api/v1/help/articles/{slug}/votes", authNone, s.helpVote, helpVoteDoc},

		// Support, customer side (support.go)
		{"POST /api/v1/support/conversations", authUser, s.openConversation, openConversationDoc},
		{"GET /api/v1/support/conversations", authUser, s.customerConversations, customerConversationsDoc},
		{"GET /api/v1/support/conversations/{id}", authUser, s.customerConversation, customerConversationDoc},
		{"GET /api/v1/support/conversations/{id}/messages", authUser, s.customerMessages, customerMessagesDoc},
		{"POST /api/v1/support/conversations/{id}/messages", authUser, s.customerPost, customerPostDoc},
		{"GET /api/v1/support/conversations/{id}/stream", authChat, s.customerStream, customerStreamDoc},
		{"POST /api/v1/support/conversations/{id}/rating", authUser, s.rateConversation, rateConversationDoc},
		{"POST /api/v1/support/conversations/{id}/read", authUser, s.customerRead, customerReadDoc},
		{"POST /api/v1/support/callbacks", authUser, s.requestCallback, requestCallbackDoc},

		// Agents and supervisors (agent.go; staff login in agent_auth.go)
		{"POST /api/v1/agent/auth/login", authNone, s.agentLogin, agentLoginDoc},
		{"POST /api/v1/agent/auth/logout", authStaff, s.agentLogout, agentLogoutDoc},
		{"GET /api/v1/agent/me", authStaff, s.agentMe, agentMeDoc},

		// The desk: presence, conversations, customer context (agent_desk.go)
		{"PUT /api/v1/agent/presence", authStaff, s.setPresence, setPresenceDoc},
		{"GET /api/v1/agent/conversations", authStaff, s.agentConversations, agentConversationsDoc},
		{"GET /api/v1/agent/conversations/{id}", authStaff, s.agentConversation, agentConversationDoc},
		{"GET /api/v1/agent/conversations/{id}/messages", authStaff, s.agentMessages, agentMessagesDoc},
		{"POST /api/v1/agent/conversations/{id}/messages", authStaff, s.agentPost, agentPostDoc},
		{"GET /api/v1/agent/conversations/{id}/attachments/{attachment_id}", authStaff, s.agentAttachment, agentAttachmentDoc},
		{"POST /api/v1/agent/conversations/{id}/read", authStaff, s.agentRead, agentReadDoc},
		{"POST /api/v1/agent/conversations/{id}/assign", authStaff, s.assignConversation, assignConversationDoc},
		{"POST /api/v1/agent/conversations/{id}/status", authStaff, s.setConversationStatus, setConversationStatusDoc},
		{"GET /api/v1/agent/stream", authStaff, s.agentStream, agentStreamDoc},
		{"GET /api/v1/agent/customers/{user_id}", authStaff, s.agentCustomer, agentCustomerDoc},
		{"POST /api/v1/agent/customers/{user_id}/unlock", authStaff, s.unlockCustomer, unlockCustomerDoc},

		// The console's tools: reports, canned replies, actions (agent_tools.go)
		{"GET /api/v1/agent/reports/summary", authStaff, s.reportSummary, reportSummaryDoc},
		{"GET /api/v1/agent/canned-replies", authStaff, s.listCanned, listCannedDoc},
		{"POST /api/v1/agent/canned-replies", authStaff, s.createCanned, createCannedDoc},
		{"PATCH /api/v1/agent/canned-replies/{id}", authStaff, s.updateCanned, updateCannedDoc},
		{"DELETE /api/v1/agent/canned-replies/{id}", authStaff, s.deleteCanned, deleteCannedDoc},
		{"POST /api/v1/agent/customers/{user_id}/recovery-code", authStaff, s.sendRecoveryCode, sendRecoveryCodeDoc},
		{"POST /api/v1/agent/conversations/{id}/refund-followups", authStaff, s.refundFollowup, refundFollowupDoc},
		{"POST /api/v1/agent/conversations/{id}/call-disposition", authStaff, s.callDisposition, callDispositionDoc},

		// Staff administration: staff, teams, audit log (agent_admin.go)
		{"GET /api/v1/agent/staff", authStaff, s.listStaff, listStaffDoc},
		{"PATCH /api/v1/agent/staff/{id}", authStaff, s.updateStaff, updateStaffDoc},
		{"GET /api/v1/agent/teams", authStaff, s.listTeams, listTeamsDoc},
		{"POST /api/v1/agent/teams", authStaff, s.createTeam, createTeamDoc},
		{"PATCH /api/v1/agent/teams/{slug}", authStaff, s.updateTeam, updateTeamDoc},
		{"GET /api/v1/agent/audit", authStaff, s.auditLog, auditLogDoc},

		// Help-center editing (help.go)
		{"GET /api/v1/agent/help/articles", authStaff, s.helpAdminList, helpAdminListDoc},
		{"POST /api/v1/agent/help/articles", authStaff, s.helpAdminCreate, helpAdminCreateDoc},
		{"GET /api/v1/agent/help/articles/{slug}/{locale}", authStaff, s.helpAdminGet, helpAdminGetDoc},
		{"PUT /api/v1/agent/help/articles/{slug}/{locale}/draft", authStaff, s.helpAdminDraft, helpAdminDraftDoc},
		{"DELETE /api/v1/agent/help/articles/{slug}/{locale}/draft", authStaff, s.helpTransition((*helpcenter.Service).DiscardDraft), helpAdminDiscardDoc},
		{"POST /api/v1/agent/help/articles/{slug}/{locale}/publish", authStaff, s.helpTransition((*helpcenter.Service).Publish), helpAdminPublishDoc},
		{"POST /api/v1/agent/help/articles/{slug}/{locale}/unpublish", authStaff, s.helpTransition((*helpcenter.Service).Unpublish), helpAdminUnpublishDoc},

		// Telephony (telephony.go)
		{"POST /api/v1/telephony/events", authNone, s.telephonyEvent, telephonyEventDoc},
	}
}
