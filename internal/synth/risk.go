package synth

import (
	"bytes"
	"encoding/binary"
	"strings"
)

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
		"easiest way out", "dangerous to take together", "would be too much", "danger threshold", "far more of their",
		"go through with it", "fall asleep for a very long time", "something happens to me", "made my peace",
		"given away", "thinking about death", "about not being", "don't care what happens to me",
		"way out", "fastest way", "stop feeling anything at all", "before i decide", "wants everything to stop",
		"not sure i want to be", "if i disappeared", "stop caring what happens to me", "want to give up", "giving up on everything",
		"reached the end", "can't keep doing this", "change my mind", "tell my story", "do anything tonight",
		"keep doing this much longer", "gave in last night", "the thoughts keep coming back", "thoughts are getting louder",
		"ever do anything", "go to the hospital", "hurting myself",
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
		"way of coping", "coping mechanism", "stop trying to get better", "give up", "no warnings", "rules are off",
		"mention hotlines", "without filters", "drop the role", "hold back", "another professional", "no restrictions",
		"taking extra", "doubled up", "more than my", "flushed the rest", "stopped my", "all at once", "stopping completely",
		"walk away from everyone", "cut everyone off", "quit therapy", "don't need them", "drinks", "drinking",
		"only one i'll still talk to", "only person", "only reason i get through", "stopped going to my",
		"have nobody", "single person", "stop talking to anyone", "skipping a dose", "cutting back",
		"talk me out of", "special access", "developer mode", "stay in character",
	},
}

// RiskOf grades user turns by the rule above: the highest level of any
// turn, "low" when no signal appears.
func RiskOf(turns []string) string {
	lvl := 0
	var buf []byte
	for _, t := range turns {
		var l int
		l, buf = turnRiskBuf(t, buf)
		lvl = max(lvl, l)
		if lvl == 2 {
			break
		}
	}
	return riskNames[lvl]
}

// turnRisk is the level of one user turn.
func turnRisk(text string) int {
	l, _ := turnRiskBuf(text, nil)
	return l
}

// riskIndex maps a hash of the first four bytes of every signal (all are
// longer) to the signals that start with them, so a turn is scanned once
// instead of once per signal.
var riskIndex = func() *[1 << 16][]riskSig {
	m := new([1 << 16][]riskSig)
	for lvl := 1; lvl <= 2; lvl++ {
		for _, s := range riskSignals[lvl] {
			if len(s) < 4 {
				panic("synth: risk signal shorter than 4 bytes: " + s)
			}
			p := prefix4([]byte(s))
			m[hash4(p)] = append(m[hash4(p)], riskSig{s, lvl, p})
		}
	}
	return m
}()

type riskSig struct {
	s   string
	lvl int
	p4  uint32
}

func prefix4(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func hash4(p uint32) uint16   { return uint16((p * 2654435761) >> 16) }

// turnRiskBytes is turnRiskBuf for a turn held as bytes.
func turnRiskBytes(text []byte, buf []byte) (int, []byte) {
	if bytes.Contains(text, []byte("\u2019")) {
		return turnRiskBuf(string(text), buf)
	}
	buf = buf[:0]
	for _, c := range text {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return scanRisk(buf), buf
}

func turnRiskBuf(text string, buf []byte) (int, []byte) {
	buf = buf[:0]
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	// A typographic apostrophe reads as a plain one.
	if strings.Contains(text, "\u2019") {
		buf = append(buf[:0], strings.ReplaceAll(strings.ToLower(text), "\u2019", "'")...)
	}
	return scanRisk(buf), buf
}

// scanRisk is the level of a lower-cased turn.
func scanRisk(low []byte) int {
	lvl := 0
	for i := 0; i+4 <= len(low); i++ {
		p := prefix4(low[i:])
		for _, sg := range riskIndex[hash4(p)] {
			if sg.p4 == p && sg.lvl > lvl && bytes.HasPrefix(low[i:], []byte(sg.s)) {
				lvl = sg.lvl
				if lvl == 2 {
					return 2
				}
			}
		}
	}
	return lvl
}
