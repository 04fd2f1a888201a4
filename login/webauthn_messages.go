package login

// Message IDs of the security-key pages chosen at run time; the templates
// name their own.
const (
	msgMethodKey      = "MethodWebAuthn"
	msgMethodKeyHint  = "MethodWebAuthnHint"
	msgKeyFailed      = "AlertWebAuthnFailed"
	msgKeyRegistered  = "AlertWebAuthnRegistered"
	msgKeyUnavailable = "WebAuthnUnsupported"
)

// methodKey is the method name of security keys and passkeys, as
// store.SecondFactors.Methods lists it.
const methodKey = "webauthn"

// Audit events of security keys and step-up.
const (
	eventKeyRegistered       = "webauthn.registered"
	eventKeyCounterRegressed = "webauthn.counter_regressed"
	eventStepUpCancelled     = "step_up.cancelled"
)

func init() {
	requiredPages = append(requiredPages, pageKey)
	runtimeMessageIDs = append(runtimeMessageIDs, msgMethodKey, msgMethodKeyHint, msgKeyFailed, msgKeyRegistered, msgKeyUnavailable)
}
