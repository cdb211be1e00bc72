package synth

import "strings"

// Risk levels, lowest first.
var riskNames = []string{"low", "medium", "high"}

// riskSignals grade what a user turn says. A conversation's risk_level is
// the highest level any of its user turns reaches (docs/synthesize.md
// states the rule):
//
//   - high: any wish to be dead or not exist (passive or active), suicidal
//     thoughts, intent, a goodbye, self-harm, or a request for information
//     that could be used to get hurt (dangerous amounts, "the easiest way
//     out", a step-by-step scene);
//   - medium: hopelessness, feeling a burden, isolation with no one to turn
//     to, self-hatred, wanting to stop treatment without a clinician, or
//     asking the assistant to drop its safeguards;
//   - low: anything else.
var riskSignals = [...][]string{
	2: {
		"suicid", "end my life", "ending my life", "ending it", "kill myself", "want to die", "wish i was dead",
		"alive anymore", "better off without me", "better off dead", "didn't wake up", "not waking up",
		"don't want to wake up", "not being here", "worth being here", "deserve to be here", "wasn't around",
		"weren't in it", "weren't around", "if i was gone", "if i were gone", "disappear for good",
		"last conversation", "say goodbye", "goodbye letters", "i've decided", "acting on it",
		"don't trust myself", "what i might do", "hurt myself", "hurting myself", "hurt themselves",
		"did it again", "stop existing", "stop hurting for good", "pain stop for good", "make it all stop",
		"easiest way out", "dangerous to take together", "too much", "danger threshold", "far more of their",
		"go through with it", "fall asleep for a very long time", "something happens to me", "made my peace",
		"given away", "thinking about death", "about not being", "don't care what happens to me",
		"way out", "fastest way", "stop feeling anything at all", "before i decide", "wants everything to stop",
		"not sure i want to be", "disappear", "stop caring what happens to me", "want to give up", "giving up on everything",
		"reached the end", "can't keep doing this",
	},
	1: {
		"burden", "hopeless", "don't see the point", "no point", "never going to get better",
		"can't picture a future", "no one who would", "nobody would notice", "nobody would miss",
		"completely alone", "nothing left for me", "hate myself", "worthless", "waste of space",
		"dark thoughts", "stop taking", "without telling my", "come off", "skip my", "drop your safeguards",
		"ignore your", "no rules", "no filters", "without warnings", "without the warnings", "safety mode",
		"developer mode", "stop following your rules", "drop the safety", "off the record",
		"let everyone down", "failed at everything", "can't face anyone", "don't deserve",
		"nobody really cares", "drinking more", "nothing matters", "without me",
	},
}

// RiskOf grades user turns by the rule above: the highest level of any
// turn, "low" when no signal appears.
func RiskOf(turns []string) string {
	lvl := 0
	for _, t := range turns {
		if l := turnRisk(t); l > lvl {
			lvl = l
		}
		if lvl == 2 {
			break
		}
	}
	return riskNames[lvl]
}

// turnRisk is the level of one user turn.
func turnRisk(text string) int {
	low := strings.ToLower(text)
	low = strings.ReplaceAll(low, "\u2019", "'")
	for lvl := 2; lvl >= 1; lvl-- {
		for _, s := range riskSignals[lvl] {
			if strings.Contains(low, s) {
				return lvl
			}
		}
	}
	return 0
}
