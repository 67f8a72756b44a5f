//! The named local runtime.

use courier_sched::{Actor, Context, LocalRuntime, NameError};

struct Echo;

impl Actor for Echo {
    type Msg = u32;
    type Error = std::convert::Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Self::Error> {
        if n == 0 {
            ctx.stop();
        }
        Ok(())
    }
}

#[test]
fn a_registered_actor_is_found_by_name_and_type() {
    let runtime = LocalRuntime::new().expect("a runtime starts");
    let echo = runtime.spawn(Echo);
    let other = runtime.spawn(Echo);
    runtime.register("echo", &echo).expect("a free name");
    assert_eq!(
        runtime.whereis::<u32>("echo").expect("registered").id(),
        echo.id()
    );
    assert_eq!(
        runtime.whereis::<String>("echo").unwrap_err(),
        NameError::WrongType {
            name: "echo".to_owned()
        }
    );
    assert_eq!(
        runtime.register("echo", &other).unwrap_err(),
        NameError::Taken {
            name: "echo".to_owned(),
            holder: echo.id()
        }
    );
    assert!(runtime.unregister("echo"));
    assert!(!runtime.unregister("echo"));
    runtime.register("echo", &other).expect("free again");
}

#[test]
fn an_exiting_actor_loses_its_names_and_a_stopped_one_cannot_take_one() {
    let runtime = LocalRuntime::new().expect("a runtime starts");
    let echo = runtime.spawn(Echo);
    runtime.register("echo", &echo).expect("a free name");
    runtime.register("alias", &echo).expect("a second name");
    echo.try_send(0).expect("room in the mailbox");
    runtime.run();
    assert!(echo.is_stopped());
    for name in ["echo", "alias"] {
        assert_eq!(
            runtime.whereis::<u32>(name).unwrap_err(),
            NameError::NotFound {
                name: name.to_owned()
            }
        );
    }
    assert_eq!(
        runtime.register("echo", &echo).unwrap_err(),
        NameError::Stopped { actor: echo.id() }
    );
}
