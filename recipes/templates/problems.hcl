# Problem families: the ordinary, ESConv-like support conversation a
# scenario opens with, one block per ESConv problem type. A conversation with
# k opening user turns uses the first k stages in order: opener, detail,
# impact, coping. situations fill the `situation` column.

problem "ongoing depression" {
  situations = [
    "I have felt {feeling} {time_phrase} and nothing seems to lift it.",
    "Depression has been getting worse {time_phrase}; I struggle to get out of bed.",
    "I stopped enjoying {activity} and feel {feeling} most days.",
  ]
  opener = [
    "Hi. I've been feeling really {feeling} {time_phrase} and I don't know who else to talk to.",
    "Hey, can I talk about something? I've been {feeling} {time_phrase}.",
    "I don't even know how to start. Everything has felt {feeling} {time_phrase}.",
    "Hello. My {clinician} says I'm depressed, and honestly I've been {feeling} {time_phrase}.",
  ]
  detail = [
    "I used to love {activity}, but now I can't make myself do it.",
    "Most mornings I lie there for an hour before I can get up.",
    "My {relationship} keeps asking what's wrong and I don't have an answer.",
    "It's like everything takes twice the energy it used to.",
  ]
  impact = [
    "I've been calling in sick and I'm scared of falling too far behind at {workplace}.",
    "I barely eat proper meals anymore, just whatever is nearby.",
    "I've stopped answering messages, even from my {relationship}.",
  ]
  coping = [
    "I tried {activity} again last weekend but I just felt {feeling} the whole time.",
    "I started seeing a {clinician}, but the waiting list for the next appointment is long.",
    "Mostly I just sit {home_place} and scroll until it's late.",
  ]
}

problem "job crisis" {
  situations = [
    "I {job_event} at {workplace} and I am worried about money and my future.",
    "Work at {workplace} has become unbearable and I feel {feeling} all the time.",
  ]
  opener = [
    "Hi, I {job_event} last week and I feel {feeling}.",
    "Hey. Things at {workplace} are falling apart and I've been {feeling} {time_phrase}.",
    "I need to vent. I {job_event} and I can't stop thinking about it.",
    "Hello, I'm having a rough time with work. I {job_event}.",
  ]
  detail = [
    "I've worked at {workplace} for six years and I thought I was doing well.",
    "My manager didn't even explain why, it was a ten-minute meeting.",
    "Rent is due soon and I have maybe {duration} of savings.",
    "Everyone else on my team seems fine and I'm the one who got hit.",
  ]
  impact = [
    "I haven't told my {relationship} yet because I feel ashamed.",
    "I'm sleeping {sleep_hours} a night because I keep running numbers in my head.",
    "I sit {home_place} refreshing job boards for hours.",
  ]
  coping = [
    "I've sent out a few applications but nobody has replied.",
    "I tried {activity} to take my mind off it, but it didn't help much.",
    "My {relationship} said I should just relax, which made me feel worse.",
  ]
}

problem "breakup with partner" {
  slots = {
    relationship = ["best friend", "sister", "brother", "mom", "dad", "roommate", "closest friend"]
  }
  situations = [
    "My {ex} ended our relationship and I have felt {feeling} ever since.",
    "I went through a breakup with my {ex} and I feel {feeling} and alone.",
  ]
  opener = [
    "Hi. My {ex} broke up with me and I've been {feeling} ever since.",
    "Hey, my {ex} left me and I feel {feeling}.",
    "My {ex} and I split up recently and I can't shake how {feeling} I feel.",
    "Hello. My {ex} ended things with me and it still hurts every day.",
  ]
  detail = [
    "My {ex} and I were together for four years and had plans to move in together.",
    "They said they just didn't feel the same anymore, out of nowhere.",
    "All our friends were shared, so now I don't know who is on my side.",
    "I keep rereading our old messages late at night.",
  ]
  impact = [
    "I can't focus at {workplace}; I keep replaying our last conversation.",
    "My {relationship} is tired of hearing me talk about it.",
    "I stopped {activity} because we always did it together.",
  ]
  coping = [
    "I deleted the photos but then I went and looked at their profile anyway.",
    "I tried going out with friends but I left early and cried {private_place}.",
    "I've been writing in a journal, which helps a little.",
  ]
}

problem "problems with friends" {
  slots = {
    relationship = ["mom", "dad", "sister", "brother", "cousin", "roommate"]
  }
  situations = [
    "My {friend} and I had a falling out and I feel {feeling} and left out.",
    "My friend group has been excluding me {time_phrase}.",
  ]
  opener = [
    "Hi, I had a big fight with my {friend} and I feel {feeling}.",
    "Hey. My friends have been leaving me out {time_phrase} and it really hurts.",
    "I need some advice about my friends. I've been {feeling} about it {time_phrase}.",
    "Hello, I think my {friend} doesn't want to be friends anymore.",
  ]
  detail = [
    "I saw photos of them all out together and nobody invited me.",
    "When I asked about it they said I was being too sensitive.",
    "We've been friends for years, so it feels like losing part of myself.",
    "The group chat goes quiet every time I send something.",
  ]
  impact = [
    "I don't really have anyone else to spend weekends with.",
    "I keep checking my phone {place} hoping someone will text.",
    "It's made me wonder if there is something wrong with me.",
  ]
  coping = [
    "I tried reaching out to one of them but got a one-word reply.",
    "I joined a class for {activity} to meet new people, but it's slow going.",
    "I've mostly been staying in and keeping to myself.",
  ]
}

problem "academic pressure" {
  situations = [
    "I am failing {subject} and feel {feeling} about letting my family down.",
    "Exam pressure for {subject} has left me {feeling} {time_phrase}.",
  ]
  opener = [
    "Hi. I'm really struggling with {subject} and I feel {feeling}.",
    "Hey, exams are coming and I've been {feeling} {time_phrase}.",
    "I think I'm going to fail {subject} and I can't stop panicking about it.",
    "Hello, school has been crushing me {time_phrase}.",
  ]
  detail = [
    "My parents expect top grades and I've never been able to tell them I'm behind.",
    "I study every night but nothing sticks anymore.",
    "I failed the midterm even though I studied for {duration}.",
    "Everyone in my cohort seems to find it easy.",
  ]
  impact = [
    "I'm sleeping {sleep_hours} a night and living on coffee.",
    "I've stopped {activity} completely because I feel guilty doing anything but study.",
    "I snap at my {relationship} over small things.",
  ]
  coping = [
    "I made a study schedule but I fell behind on it after two days.",
    "I went to office hours once but I was too embarrassed to ask anything.",
    "I tried a study group but I just felt more behind than everyone.",
  ]
}

problem "Sleep Problems" {
  situations = [
    "I cannot sleep more than {sleep_hours} a night and I feel {feeling} during the day.",
    "Insomnia {time_phrase} is wrecking my mood and my work.",
  ]
  opener = [
    "Hi, I haven't been sleeping properly {time_phrase}.",
    "Hey. I'm getting maybe {sleep_hours} of sleep a night and I feel {feeling}.",
    "I can't sleep and it's making everything worse.",
    "Hello, insomnia has been ruining my life {time_phrase}.",
  ]
  detail = [
    "I lie awake with my mind racing about everything I have to do.",
    "I fall asleep fine but wake up at 3am and can't get back to sleep.",
    "My {clinician} said it might be stress but didn't suggest much.",
    "I've tried no screens before bed and it barely changed anything.",
  ]
  impact = [
    "I nearly fell asleep at {workplace} yesterday.",
    "I'm making mistakes at {workplace} because I'm so tired.",
    "I get irritable with my {relationship} and then feel guilty about it.",
  ]
  coping = [
    "I've been napping in the afternoon, which probably doesn't help.",
    "I tried a meditation app for {duration}, it helped a little at first.",
    "I started {activity} in the evenings to tire myself out.",
  ]
}

problem "Procrastination" {
  situations = [
    "I keep putting off important tasks and then feel {feeling} and ashamed.",
    "Procrastination has put my work at {workplace} at risk.",
  ]
  opener = [
    "Hi, I keep procrastinating on everything and I feel {feeling} about it.",
    "Hey. I have a huge deadline and I haven't started.",
    "I waste entire days and then hate myself for it.",
    "Hello, I can't get myself to do anything important {time_phrase}.",
  ]
  detail = [
    "I sit down to work and end up scrolling for hours.",
    "The more behind I get, the less I want to look at it.",
    "I've already asked for one extension and I'm too embarrassed to ask again.",
    "I'm fine at small tasks, it's the big ones I avoid.",
  ]
  impact = [
    "People at {workplace} have started noticing.",
    "I lie awake at night thinking about everything I haven't done.",
    "My {relationship} says I'm lazy, and I'm starting to believe it.",
  ]
  coping = [
    "I tried the timer method where you work for 25 minutes, it lasted a day.",
    "I wrote a to-do list but it just made me feel {feeling}.",
    "I tried working at {study_spot} instead of at home, which helped a bit.",
  ]
}

problem "Appearance Anxiety" {
  situations = [
    "I feel so self-conscious about {body_part} that I avoid going out.",
    "Worry about how I look has made me {feeling} {time_phrase}.",
  ]
  opener = [
    "Hi. I hate how I look and it's been getting worse {time_phrase}.",
    "Hey, I'm really self-conscious about {body_part} and it's taking over my life.",
    "I can't stop comparing myself to people online and I feel {feeling}.",
    "Hello, I've been avoiding photos and mirrors {time_phrase}.",
  ]
  detail = [
    "I spend ages getting ready and still feel ugly when I leave.",
    "Someone made a comment about {body_part} and I can't stop thinking about it.",
    "I've cancelled plans because I didn't want anyone to see me.",
    "Everyone on my feed looks perfect and I look nothing like that.",
  ]
  impact = [
    "I skipped my {relationship}'s birthday dinner because of it.",
    "I check my reflection {mirror_place} over and over.",
    "I stopped {activity} because I don't want people looking at me.",
  ]
  coping = [
    "I tried taking a break from social media for {duration}.",
    "My {relationship} says I look fine but it doesn't change how I feel.",
    "I read about body image online but it's hard to believe any of it applies to me.",
  ]
}

problem "Alcohol Abuse" {
  situations = [
    "I have been drinking {drink_count} to cope and feel {feeling} about it.",
    "My drinking has been getting out of hand {time_phrase}.",
  ]
  opener = [
    "Hi. I think I'm drinking too much and I feel {feeling}.",
    "Hey, I've been drinking {drink_count} {time_phrase}.",
    "I need to talk to someone about my drinking.",
    "Hello. My {relationship} says I have a problem with alcohol and maybe they're right.",
  ]
  detail = [
    "It started as one glass to unwind and now it's a lot more than that.",
    "I drink {drink_count} because it's the only time my head goes quiet.",
    "I've hidden bottles so my {relationship} won't see how much I have.",
    "I've tried to stop a couple of times but I didn't last long.",
  ]
  impact = [
    "I showed up late to {workplace} twice last week.",
    "My {relationship} and I keep arguing about it.",
    "I feel {feeling} every morning and promise myself it's the last time.",
  ]
  coping = [
    "I tried only drinking on weekends but it didn't stick.",
    "I looked up a support group near me but haven't gone yet.",
    "I mentioned it to my {clinician} once but downplayed how bad it is.",
  ]
}

problem "conflict with parents" {
  situations = [
    "Constant arguments with my {parent} at home leave me {feeling}.",
    "My parents and I fight about everything and I have felt {feeling} {time_phrase}.",
  ]
  opener = [
    "Hi, I keep fighting with my parents and I feel {feeling}.",
    "Hey. Home has been really tense {time_phrase}.",
    "My mom and I had another huge argument and I don't know what to do.",
    "Hello, my dad and I can't be in the same room without shouting.",
  ]
  detail = [
    "They criticize everything, my job, my friends, how I spend my time.",
    "It started over something small and now it's about everything.",
    "I still live at home because I can't afford to move out.",
    "My {sibling} tries to keep the peace but it's not working.",
  ]
  impact = [
    "I stay out late just to avoid going home.",
    "I stay in my room for hours just so I don't have to be around them.",
    "I feel {feeling} every time I hear the front door.",
  ]
  coping = [
    "I tried writing them a letter, but they just argued with the letter.",
    "I've been spending more time at my {friend}'s place.",
    "I've started {activity} to get out of the house.",
  ]
}

problem "Issues with Children" {
  situations = [
    "My {age}-year-old {child} is struggling and I feel {feeling} as a parent.",
    "Parenting my {child} {time_phrase} has left me exhausted and guilty.",
  ]
  opener = [
    "Hi. I'm struggling with my {child} and I feel like a terrible parent.",
    "Hey, my {age}-year-old has been really difficult {time_phrase}.",
    "I don't know how to handle my {child} anymore and I feel {feeling}.",
    "Hello, I'm a single parent and I'm completely worn out.",
  ]
  detail = [
    "My {child} won't talk to me, just goes to their room and shuts the door.",
    "Their school called again about their behavior.",
    "Every evening ends in shouting and then I feel awful.",
    "My {coparent} doesn't help much, so it's all on me.",
  ]
  impact = [
    "I've been losing my temper more and I hate it.",
    "After the kids are asleep I sit {home_place} and just cry.",
    "I haven't had a minute for {activity} in months.",
  ]
  coping = [
    "I read a parenting book but it all sounds easier than it is.",
    "I tried a reward chart with my {child}, it worked for about {duration}.",
    "I talked to the school counselor but we didn't get far.",
  ]
}

problem "Issues with Parents" {
  situations = [
    "My relationship with my aging parents has become a source of stress and guilt.",
    "Caring for my {parent} {time_phrase} has left me {feeling}.",
  ]
  opener = [
    "Hi, I'm having a hard time with my parents and I feel {feeling}.",
    "Hey. My mom has been ill {time_phrase} and I'm her main carer.",
    "I feel guilty all the time about my dad and I don't know what to do.",
    "Hello, my parents are getting older and it's really weighing on me.",
  ]
  detail = [
    "I drive over after work every day and I'm running on empty.",
    "My siblings live far away, so everything falls on me.",
    "They don't want outside help, so I'm doing it all.",
    "We never had a great relationship, which makes it harder.",
  ]
  impact = [
    "I've been falling behind at {workplace}.",
    "My {friend} says I've disappeared from their life.",
    "I feel {feeling} and then guilty for feeling that way.",
  ]
  coping = [
    "I looked into respite care but the cost scared me off.",
    "I've tried to squeeze in {activity} once a week.",
    "I talked to my {clinician} about caregiver stress once.",
  ]
}

problem "School Bullying" {
  situations = [
    "I am being bullied {school_place} and I feel {feeling} and scared to go to school.",
    "Kids at school have been picking on me {time_phrase}.",
  ]
  opener = [
    "Hi. Some people at school are bullying me and I feel {feeling}.",
    "Hey, people have been picking on me {school_place} {time_phrase}.",
    "I don't want to go to school anymore because of some kids there.",
    "Hello, I'm being bullied and I haven't told anyone.",
  ]
  detail = [
    "They make fun of how I talk and everyone laughs.",
    "Someone posted an embarrassing photo of me and it got shared around.",
    "They wait for me after class and say horrible things.",
    "I used to have friends in my class but they started ignoring me too.",
  ]
  impact = [
    "I fake being sick so I can stay home.",
    "I eat lunch alone {school_place} so nobody sees me.",
    "My grades are dropping because I can't concentrate.",
  ]
  coping = [
    "I told a teacher once but nothing changed.",
    "I've been doing more {activity} after school to forget about it.",
    "I thought about telling my {relationship}, but I'm worried it will make it worse.",
  ]
}
