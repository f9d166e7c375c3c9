from privacydesk.policy.registry import exempt

exempt("policy.ModelRevision", "the privacy model itself, public")
exempt("policy.ProcessingActivity", "names of processing activities, public")
exempt("policy.PolicyVersion", "published privacy policy texts, public")
