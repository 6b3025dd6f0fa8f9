//! The teacher's page as HTML (maud): each trainee a row, each goal of the class a column (`met`
//! or `not met`, with the goal's text above the table), the score, and whether the lab answered.
//! The page asks `/board` for the table again every [`REFRESH_MS`] and puts it in place, so it
//! follows the class live without reloading; without JavaScript it reloads itself. Templates
//! only: no routes, no sockets.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::board::Board;

/// How often the page asks for the table again, in milliseconds.
pub const REFRESH_MS: u64 = 2000;

const STYLE: &str = "body{font-family:sans-serif;margin:12px}table{border-collapse:collapse}\
td,th{border:1px solid #aab;padding:3px 8px;text-align:left}.met{background:#cfc}\
.notmet{background:#fdd}.none{color:#888}.unreachable{color:#b00}ol{padding-left:22px}";

/// The whole page.
pub fn page(board: &Board) -> Markup {
    let exercises = board.exercises();
    let title = match exercises.as_slice() {
        [one] => format!("Classroom: {one}"),
        _ => "Classroom".to_string(),
    };
    let script = format!(
        "setInterval(async () => {{ try {{ const r = await fetch('/board'); \
         if (r.ok) {{ document.getElementById('board').innerHTML = await r.text(); }} }} \
         catch (e) {{}} }}, {REFRESH_MS});"
    );
    html! {
        (DOCTYPE)
        html {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(STYLE)) }
                noscript { meta http-equiv="refresh" content=(REFRESH_MS / 1000); }
            }
            body {
                h1 { (title) }
                p { "Each trainee's goals as the lab's grader sees them now (asked every "
                    (REFRESH_MS / 1000) " s). " a href="/grades.json" { "As JSON" } }
                div id="board" { (table(board)) }
                script { (PreEscaped(script)) }
            }
        }
    }
}

/// The table of the class and the list of its goals (what `/board` answers).
pub fn table(board: &Board) -> Markup {
    let goals = board.goals();
    let rows = board.rows();
    html! {
        table id="grades" {
            thead {
                tr {
                    th { "Trainee" }
                    @for (i, goal) in goals.iter().enumerate() {
                        th title=(goal) { (i + 1) }
                    }
                    th { "Score" }
                    th { "Lab" }
                }
            }
            tbody {
                @for row in &rows {
                    tr data-trainee=(row.trainee) {
                        td { (row.trainee) }
                        @for (i, cell) in row.goals.iter().enumerate() {
                            @match cell {
                                Some(c) if c.met => {
                                    td class="met" data-trainee=(row.trainee) data-goal=(i + 1) { "met" }
                                }
                                Some(_) => {
                                    td class="notmet" data-trainee=(row.trainee) data-goal=(i + 1) { "not met" }
                                }
                                None => {
                                    td class="none" data-trainee=(row.trainee) data-goal=(i + 1) { "-" }
                                }
                            }
                        }
                        td { @if row.state == "graded" { (row.score) " of " (row.total) } @else { "-" } }
                        td class=(row.state) {
                            (row.lab)
                            @if let Some(error) = &row.error { ": " (error) }
                            @if row.state == "waiting" { ": not asked yet" }
                        }
                    }
                }
            }
        }
        ol id="goals" {
            @for goal in &goals {
                li { (goal) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::teacher::labs::{parse_url, LabRef};
    use crate::exercise::{GoalResult, Grade};

    #[test]
    fn cells_say_met_or_not_per_trainee_and_goal_and_text_is_escaped() {
        let labs: Vec<LabRef> = ["trainee1", "trainee2"]
            .iter()
            .map(|n| LabRef {
                name: n.to_string(),
                url: parse_url("http://127.0.0.1:2501").unwrap(),
            })
            .collect();
        let mut board = Board::new(&labs);
        let grade = |met| Grade {
            exercise: "Fix <it>".into(),
            goals: vec![GoalResult {
                goal: "cdm1 & ce1 agree".into(),
                met,
                misses: vec![],
                hint: None,
                points: 1,
            }],
        };
        board.record(0, Ok(grade(false)), std::time::SystemTime::now());
        board.record(1, Ok(grade(true)), std::time::SystemTime::now());
        let html = page(&board).into_string();
        assert!(
            html.contains("<title>Classroom: Fix &lt;it&gt;</title>"),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<td class="notmet" data-trainee="trainee1" data-goal="1">not met</td>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<td class="met" data-trainee="trainee2" data-goal="1">met</td>"#),
            "{html}"
        );
        assert!(html.contains("<li>cdm1 &amp; ce1 agree</li>"), "{html}");
        assert!(html.contains("1 of 1"), "{html}");
    }
}
