//! The explanations staff read, in both languages, for a small batch that uses every note.

use expect_test::expect;
use fangkong_allocation::{allocate, Plan, UnplacedReason};

use crate::{disabled, person, site};

/// Each household's site and notes, one line per note in English and in Chinese.
fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for g in &plan.groups {
        out += &format!(
            "household {} {:?} -> site {:?}\n",
            g.household, g.person_ids, g.site_id
        );
        for note in &g.notes {
            out += &format!("  {}\n  {}\n", note.text_en(), note.text_zh());
        }
    }
    out
}

#[test]
fn explanations_in_english_and_chinese() {
    let sites = [
        site(1, 1.0, &[(10, 1, false), (11, 1, false)]),
        site(
            2,
            4.0,
            &[(20, 3, false), (21, 2, false), (22, 2, true), (23, 2, true)],
        ),
    ];
    let people = [
        // A family of five: too large for any room.
        person(1, 7, 41),
        person(2, 7, 39),
        person(3, 7, 11),
        person(4, 7, 6),
        person(5, 7, 2),
        // An elderly couple.
        person(6, 8, 71),
        disabled(7, 8, 68),
        // A couple without needs, when only an accessible room is left.
        person(8, 9, 30),
        person(9, 9, 29),
        // A child and a teenager on their own.
        person(10, 10, 12),
        person(11, 10, 15),
        // Three single people for two single rooms.
        person(12, 11, 50),
        person(13, 12, 50),
        person(14, 13, 50),
    ];
    let plan = allocate(&sites, &people);
    expect![[r#"
        household 8 [6, 7] -> site Some(2)
          nearest site with room for the household, 4.0 km from home
          最近的有空房隔离点，距住址 4.0 公里
          nearer site without room for the household: 1
          更近的隔离点 1 没有合适的空房
          household together in room 22
          同户同住：全户安排在房间 22
          accessible room 22 for elderly or disabled members 6, 7
          无障碍房间 22：安排老年人或残疾人 6、7
        household 7 [1, 2, 3, 4, 5] -> site Some(2)
          nearest site with room for the household, 4.0 km from home
          最近的有空房隔离点，距住址 4.0 公里
          nearer site without room for the household: 1
          更近的隔离点 1 没有合适的空房
          no site has one free room for the whole household: split over 2 rooms of one site
          没有能容纳全户的单个空房，全户分住同一隔离点的 2 个房间
          children 3, 4 stay with an adult of the household in room 20
          儿童 3、4 与同户成年人同住房间 20
          child 5 stays with an adult of the household in room 21
          儿童 5 与同户成年人同住房间 21
        household 9 [8, 9] -> site Some(2)
          nearest site with room for the household, 4.0 km from home
          最近的有空房隔离点，距住址 4.0 公里
          nearer site without room for the household: 1
          更近的隔离点 1 没有合适的空房
          household together in room 23
          同户同住：全户安排在房间 23
          accessible room 23 used because no other room at the site fitted
          该隔离点没有其他合适的房间，使用无障碍房间 23
        household 10 [10, 11] -> site None
          not placed: the household has a child under 14 and no adult (18 or over) to stay with it
          未安排：户内有 14 岁以下儿童但没有 18 岁及以上的成年人陪护
        household 11 [12] -> site Some(1)
          nearest site with room for the household, 1.0 km from home
          最近的有空房隔离点，距住址 1.0 公里
          household together in room 10
          同户同住：全户安排在房间 10
        household 12 [13] -> site Some(1)
          nearest site with room for the household, 1.0 km from home
          最近的有空房隔离点，距住址 1.0 公里
          household together in room 11
          同户同住：全户安排在房间 11
        household 13 [14] -> site None
          not placed: no site has suitable free rooms for the household's 1 person
          未安排：没有隔离点有足够的合适空房安排全户 1 人
    "#]]
    .assert_eq(&render(&plan));
}

#[test]
fn reasons_name_the_members_with_needs() {
    let reason = |people, needing_accessible| UnplacedReason::NoSiteWithRoom {
        people,
        needing_accessible,
    };
    let texts = [reason(1, 1), reason(3, 2)].map(|r| format!("{}\n{}\n", r.text_en(), r.text_zh()));
    expect![[r#"
        no site has suitable free rooms for the household's 1 person, who needs an accessible room
        没有隔离点有足够的合适空房安排全户 1 人（其中 1 人需无障碍房间）
        no site has suitable free rooms for the household's 3 people (2 of them needing an accessible room)
        没有隔离点有足够的合适空房安排全户 3 人（其中 2 人需无障碍房间）
    "#]]
    .assert_eq(&texts.concat());
}
