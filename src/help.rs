//! podman's help layout for every command (Description, Usage, Examples, Options) and the
//! hand-written examples, shared by `--help` and the generated man pages.

use clap::Command;

const TEMPLATE: &str = "\
{about-with-newline}
Description:
  {about}

Usage:
  {usage}

Options:
{options}";

/// Command groups (`container`, `image`, `system`, and burrow itself) list their commands.
const GROUP_TEMPLATE: &str = "\
{about-with-newline}
Description:
  {about}

Usage:
  {usage}{after-help}Available Commands:
{subcommands}

Options:
{options}";

/// clap puts a blank line in front of `{after-help}` itself.
const TEMPLATE_WITH_EXAMPLES: &str = "\
{about-with-newline}
Description:
  {about}

Usage:
  {usage}{after-help}Options:
{options}";

/// Examples per command path (`run`, `container ls`, ...), podman style.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "burrow",
        "burrow run --rm busybox echo hello\n  burrow ps -a\n  burrow images",
    ),
    (
        "run",
        "burrow run --rm busybox echo hello\n  burrow run -it --rm busybox sh\n  burrow run -d --name web --restart on-failure:3 busybox httpd -f\n  burrow run --rm -v $PWD:/work:ro -w /work busybox ls",
    ),
    (
        "create",
        "burrow create --name box busybox sleep 1000\n  burrow create -t -i --name shell busybox sh",
    ),
    ("start", "burrow start box\n  burrow start -a shell"),
    (
        "stop",
        "burrow stop box\n  burrow stop -t 2 box\n  burrow stop -a",
    ),
    (
        "kill",
        "burrow kill box\n  burrow kill -s USR1 box\n  burrow kill --filter label=app=web",
    ),
    ("restart", "burrow restart box"),
    (
        "init",
        "burrow init box\n  burrow init --all\n  burrow container init box && burrow start box",
    ),
    (
        "rm",
        "burrow rm box\n  burrow rm -f box\n  burrow rm -a\n  burrow rm --filter status=exited",
    ),
    ("wait", "burrow wait box"),
    ("rename", "burrow rename box newbox"),
    (
        "ps",
        "burrow ps -a\n  burrow ps --filter status=exited -q\n  burrow ps --format \"{{.ID}} {{.Names}}\"\n  burrow ps -a --size --sort size",
    ),
    (
        "logs",
        "burrow logs box\n  burrow logs -f --tail 10 box\n  burrow logs --since 10m -t box",
    ),
    (
        "exec",
        "burrow exec box ls /\n  burrow exec -it box sh\n  burrow exec -u tester -w /tmp box id",
    ),
    (
        "attach",
        "burrow attach shell\n  burrow attach --detach-keys ctrl-a,d shell",
    ),
    (
        "inspect",
        "burrow inspect box\n  burrow inspect -f \"{{.State.Status}}\" box\n  burrow inspect --type image busybox",
    ),
    ("top", "burrow top box\n  burrow top box pid args"),
    ("port", "burrow port web\n  burrow port web 80/tcp"),
    ("mount", "burrow unshare sh -c 'ls $(burrow mount box)'"),
    ("umount", "burrow umount box"),
    (
        "images",
        "burrow images\n  burrow images -q\n  burrow images --format \"{{.Repository}}:{{.Tag}}\"",
    ),
    (
        "rmi",
        "burrow rmi busybox\n  burrow rmi -f busybox\n  burrow rmi -a",
    ),
    (
        "load",
        "burrow load -i busybox.tar\n  burrow load < busybox.tar",
    ),
    (
        "import",
        "burrow import rootfs.tar localhost/mine\n  burrow import --change 'CMD [\"/bin/sh\"]' - localhost/mine < rootfs.tar",
    ),
    ("tag", "burrow tag busybox localhost/mybox:1"),
    (
        "pull",
        "burrow pull docker.io/library/busybox\n  burrow pull --tls-verify=false 127.0.0.1:5000/team/app:1\n  burrow pull --platform linux/arm64 quay.io/team/app@sha256:...",
    ),
    (
        "push",
        "burrow push localhost/app 127.0.0.1:5000/team/app:1\n  burrow push --compression-format zstd --digestfile app.digest app docker://registry.example/team/app:1\n  burrow push app oci-archive:/tmp/app.tar",
    ),
    (
        "search",
        "burrow search 127.0.0.1:5000/busy\n  burrow search --list-tags 127.0.0.1:5000/busybox\n  burrow search --format \"{{.Name}}\" quay.io/podman",
    ),
    (
        "container prune",
        "burrow container prune -f\n  burrow container prune -f --filter label=tmp=1",
    ),
    (
        "login",
        "burrow login -u alice registry.example\n  echo \"$TOKEN\" | burrow login -u alice --password-stdin registry.example\n  burrow login --get-login registry.example",
    ),
    (
        "logout",
        "burrow logout registry.example\n  burrow logout -a",
    ),
    (
        "untag",
        "burrow untag busybox localhost/mybox:1\n  burrow untag busybox",
    ),
    (
        "history",
        "burrow history busybox\n  burrow history --no-trunc -q busybox",
    ),
    (
        "save",
        "burrow save -o busybox.tar busybox\n  burrow save --format oci-archive -o busybox.tar busybox\n  burrow save -m -o images.tar busybox localhost/mine",
    ),
    (
        "export",
        "burrow export -o box.tar box\n  burrow export box > box.tar",
    ),
    (
        "image prune",
        "burrow image prune\n  burrow image prune -a -f",
    ),
    ("image tree", "burrow image tree busybox"),
    (
        "build",
        "burrow build -t myapp .\n  burrow build -f Containerfile.dev --build-arg VERSION=1.2 -t myapp:dev .\n  burrow build --target builder --no-cache -t myapp-builder .",
    ),
    ("image build", "burrow image build -t myapp ."),
    (
        "image mount",
        "burrow unshare sh -c 'ls $(burrow image mount busybox)'\n  burrow image mount",
    ),
    ("image unmount", "burrow image unmount busybox"),
    (
        "unshare",
        "burrow unshare cat /proc/self/uid_map\n  burrow unshare",
    ),
    (
        "container",
        "burrow container ls -a\n  burrow container run --rm busybox true",
    ),
    ("image", "burrow image ls\n  burrow image rm busybox"),
    ("system", "burrow system info"),
    (
        "cdi",
        "burrow cdi generate --output /etc/cdi/nvidia.json\n  burrow cdi list\n  burrow run --rm --device nvidia.com/gpu=all IMAGE nvidia-smi -L",
    ),
    (
        "container list",
        "burrow container list -a\n  burrow container ls --format \"{{.Names}}\"",
    ),
    (
        "container exists",
        "burrow container exists box && echo there",
    ),
    ("image list", "burrow image list\n  burrow image ls -q"),
    ("image rm", "burrow image rm busybox"),
    ("image load", "burrow image load -i busybox.tar"),
    (
        "image import",
        "burrow image import rootfs.tar localhost/mine",
    ),
    ("image tag", "burrow image tag busybox localhost/mybox:1"),
    (
        "image inspect",
        "burrow image inspect busybox\n  burrow image inspect -f \"{{.Config.Cmd}}\" busybox",
    ),
    ("image exists", "burrow image exists busybox && echo there"),
    ("system info", "burrow system info --format json"),
    (
        "system service",
        "burrow system service --time 0 unix:///tmp/burrow.sock\n  DOCKER_HOST=unix://$XDG_RUNTIME_DIR/burrow/burrow.sock docker ps",
    ),
    ("system df", "burrow system df\n  burrow system df -v"),
    (
        "system prune",
        "burrow system prune -f\n  burrow system prune -a --volumes -f",
    ),
    ("system reset", "burrow system reset -f"),
    ("system migrate", "burrow system migrate"),
    ("system renumber", "burrow system renumber"),
    (
        "system check",
        "burrow system check\n  burrow system check --repair",
    ),
    (
        "system doctor",
        "burrow system doctor\n  burrow system doctor --format json",
    ),
    ("system events", "burrow system events --stream=false"),
    (
        "events",
        "burrow events\n  burrow events --stream=false --filter event=died --format json",
    ),
    ("pause", "burrow pause box"),
    ("unpause", "burrow unpause box"),
    ("update", "burrow update --memory 512m --cpus 1.5 box"),
    (
        "stats",
        "burrow stats --no-stream\n  burrow stats --no-stream --format json box",
    ),
    (
        "cp",
        "burrow cp box:/etc/hostname ./hostname\n  burrow cp ./config box:/etc/app/\n  burrow cp box:/var/log - > logs.tar",
    ),
    (
        "commit",
        "burrow commit box localhost/mybox:1\n  burrow commit -c 'CMD [\"sh\"]' -m \"configured\" box localhost/mybox:2",
    ),
    (
        "diff",
        "burrow diff box\n  burrow diff --format json busybox",
    ),
    ("generate", "burrow generate systemd --new --name web"),
    (
        "compose",
        "burrow compose up -d\n  burrow compose -f compose.yaml -f compose.prod.yaml -p shop up -d --build\n  burrow compose ps\n  burrow compose down -v",
    ),
    (
        "compose up",
        "burrow compose up -d\n  burrow compose up -d --build --scale web=3\n  burrow compose --profile debug up -d --wait\n  burrow compose up",
    ),
    (
        "compose down",
        "burrow compose down\n  burrow compose down -v --rmi local --remove-orphans",
    ),
    (
        "compose ps",
        "burrow compose ps\n  burrow compose ps -a --format json\n  burrow compose ps -q web",
    ),
    (
        "compose logs",
        "burrow compose logs\n  burrow compose logs -f --tail 10 web",
    ),
    (
        "compose build",
        "burrow compose build\n  burrow compose build --no-cache web",
    ),
    (
        "compose pull",
        "burrow compose pull\n  burrow compose pull --ignore-buildable",
    ),
    ("compose push", "burrow compose push web"),
    (
        "compose exec",
        "burrow compose exec web sh\n  burrow compose exec -T -e DEBUG=1 -w /tmp --index 2 web ls",
    ),
    (
        "compose run",
        "burrow compose run --rm web sh -c 'env'\n  burrow compose run -d --entrypoint sh -e X=1 web -c 'sleep 60'",
    ),
    (
        "compose start",
        "burrow compose start\n  burrow compose start web",
    ),
    (
        "compose stop",
        "burrow compose stop\n  burrow compose stop -t 2 web",
    ),
    (
        "compose restart",
        "burrow compose restart\n  burrow compose restart web",
    ),
    (
        "compose kill",
        "burrow compose kill\n  burrow compose kill -s SIGHUP web",
    ),
    (
        "compose rm",
        "burrow compose rm -f\n  burrow compose rm -s -f -v web",
    ),
    (
        "compose config",
        "burrow compose config\n  burrow compose -f a.yaml -f b.yaml config --services\n  burrow compose config --volumes",
    ),
    ("compose images", "burrow compose images"),
    (
        "compose port",
        "burrow compose port web 80\n  burrow compose port --index 2 web 80",
    ),
    (
        "compose top",
        "burrow compose top\n  burrow compose top web",
    ),
    ("compose pause", "burrow compose pause web"),
    ("compose unpause", "burrow compose unpause web"),
    (
        "compose version",
        "burrow compose version\n  burrow compose version --short",
    ),
    ("healthcheck", "burrow healthcheck run web"),
    (
        "healthcheck run",
        "burrow healthcheck run web\n  burrow run -d --name web --health-cmd 'wget -q -O- localhost' --health-interval 10s busybox httpd -f",
    ),
    (
        "generate systemd",
        "burrow generate systemd --name web\n  burrow generate systemd --new --files --name web\n  burrow generate systemd --name --restart-policy always mypod",
    ),
    (
        "volume",
        "burrow volume create data\n  burrow run -v data:/data busybox ls /data",
    ),
    (
        "volume create",
        "burrow volume create data\n  burrow volume create --label app=web --opt type=tmpfs --opt device=tmpfs --opt o=size=64m scratch",
    ),
    (
        "volume ls",
        "burrow volume ls\n  burrow volume ls --filter dangling=true -q",
    ),
    (
        "volume inspect",
        "burrow volume inspect data\n  burrow volume inspect --format \"{{.Mountpoint}}\" data",
    ),
    (
        "volume rm",
        "burrow volume rm data\n  burrow volume rm -f data",
    ),
    ("volume prune", "burrow volume prune -f"),
    ("volume exists", "burrow volume exists data && echo there"),
    (
        "volume import",
        "burrow volume import data backup.tar\n  gzip -dc backup.tgz | burrow volume import data -",
    ),
    ("volume export", "burrow volume export data -o backup.tar"),
    (
        "secret",
        "printf s3cret | burrow secret create dbpass -\n  burrow run --rm --secret dbpass busybox cat /run/secrets/dbpass",
    ),
    (
        "secret create",
        "burrow secret create dbpass ./password.txt\n  printf s3cret | burrow secret create --label app=web dbpass -\n  burrow secret create --env dbpass DB_PASSWORD",
    ),
    (
        "secret ls",
        "burrow secret ls\n  burrow secret ls --filter label=app=web -q",
    ),
    (
        "secret inspect",
        "burrow secret inspect dbpass\n  burrow secret inspect --showsecret --format \"{{.SecretData}}\" dbpass",
    ),
    (
        "secret rm",
        "burrow secret rm dbpass\n  burrow secret rm --all",
    ),
    ("secret exists", "burrow secret exists dbpass && echo there"),
    (
        "kube",
        "burrow kube generate --service web > web.yaml\n  burrow kube play web.yaml\n  burrow kube down web.yaml",
    ),
    (
        "kube generate",
        "burrow kube generate web > web.yaml\n  burrow kube generate --type deployment --replicas 1 -f app.yaml mypod data\n  burrow kube generate --service web",
    ),
    (
        "kube play",
        "burrow kube play web.yaml\n  burrow kube play --replace --configmap env.yaml --publish 8080:80 app.yaml\n  burrow kube play --start=false --build app.yaml\n  cat job.yaml | burrow kube play --wait -",
    ),
    (
        "kube down",
        "burrow kube down web.yaml\n  burrow kube down --force app.yaml",
    ),
    (
        "play",
        "burrow play kube web.yaml\n  burrow play kube --down web.yaml",
    ),
    (
        "play kube",
        "burrow play kube web.yaml\n  burrow play kube --replace app.yaml",
    ),
    (
        "generate kube",
        "burrow generate kube web > web.yaml\n  burrow generate kube --service --type deployment mypod",
    ),
    (
        "network",
        "burrow network create app\n  burrow run -d --name db --network app busybox httpd -f -p 80\n  burrow run --rm --network app busybox wget -qO- http://db",
    ),
    (
        "network create",
        "burrow network create app\n  burrow network create --subnet 10.90.0.0/24 --gateway 10.90.0.1 --label env=dev backend\n  burrow network create --internal private",
    ),
    (
        "network ls",
        "burrow network ls\n  burrow network ls --filter label=env=dev --format \"{{.Name}} {{.ID}}\"",
    ),
    (
        "network inspect",
        "burrow network inspect app\n  burrow network inspect --format \"{{.network_interface}}\" app",
    ),
    (
        "network rm",
        "burrow network rm app\n  burrow network rm -f app",
    ),
    ("network prune", "burrow network prune -f"),
    ("network exists", "burrow network exists app && echo there"),
    (
        "network connect",
        "burrow network connect app web\n  burrow network connect --alias api app web",
    ),
    ("network disconnect", "burrow network disconnect app web"),
    (
        "pod",
        "burrow pod create --name web -p 8080:80\n  burrow run -d --pod web busybox httpd -f -p 80\n  burrow pod ps",
    ),
    (
        "pod create",
        "burrow pod create --name web -p 8080:80\n  burrow pod create --name app --share net,ipc --hostname app.local --label env=dev\n  burrow pod create --infra=false batch",
    ),
    ("pod start", "burrow pod start web\n  burrow pod start -a"),
    ("pod stop", "burrow pod stop web\n  burrow pod stop -t 2 -a"),
    ("pod restart", "burrow pod restart web"),
    (
        "pod kill",
        "burrow pod kill web\n  burrow pod kill -s TERM web",
    ),
    ("pod pause", "burrow pod pause web"),
    ("pod unpause", "burrow pod unpause web"),
    (
        "pod rm",
        "burrow pod rm web\n  burrow pod rm -f web\n  burrow pod rm -f -a\n  burrow pod rm -t 2 web",
    ),
    ("pod prune", "burrow pod prune -f"),
    (
        "pod stats",
        "burrow pod stats --no-stream\n  burrow pod stats --no-stream --format json web",
    ),
    ("volume reload", "burrow volume reload"),
    (
        "volume mount",
        "burrow volume mount data\n  ls $(burrow volume mount data)",
    ),
    ("volume unmount", "burrow volume unmount data"),
    (
        "container clone",
        "burrow container clone web\n  burrow container clone --name web2 --memory 256m web\n  burrow container clone --destroy --run web web-new",
    ),
    (
        "network reload",
        "burrow network reload web\n  burrow network reload --all",
    ),
    (
        "pod ps",
        "burrow pod ps\n  burrow pod ps --filter status=running -q\n  burrow pod ps --format \"{{.Name}} {{.Status}}\"",
    ),
    (
        "pod inspect",
        "burrow pod inspect web\n  burrow pod inspect --format \"{{.State}}\" web",
    ),
    (
        "pod top",
        "burrow pod top web\n  burrow pod top web pid args",
    ),
    ("pod exists", "burrow pod exists web && echo there"),
    (
        "pod logs",
        "burrow pod logs web\n  burrow pod logs -c web-server --tail 10 web",
    ),
    (
        "version",
        "burrow version\n  burrow version --format \"{{.Client.Version}}\"",
    ),
    ("info", "burrow info\n  burrow info --format json"),
    (
        "quadlet",
        "burrow quadlet --dryrun\n  burrow quadlet install web.container\n  burrow quadlet list",
    ),
    (
        "quadlet install",
        "burrow quadlet install web.container\n  burrow quadlet install --replace ./myapp/",
    ),
    (
        "quadlet list",
        "burrow quadlet list\n  burrow quadlet list --format \"{{.UnitName}}\"",
    ),
    ("quadlet print", "burrow quadlet print web.container"),
    (
        "quadlet rm",
        "burrow quadlet rm web.container\n  burrow quadlet rm --force --all",
    ),
    (
        "completion",
        "burrow completion bash > /etc/bash_completion.d/burrow\n  burrow completion fish -f ~/.config/fish/completions/burrow.fish",
    ),
    (
        "auto-update",
        "burrow auto-update --dry-run\n  burrow auto-update\n  burrow auto-update --rollback=false --format \"{{.Unit}} {{.Updated}}\"",
    ),
    (
        "manifest",
        "burrow manifest create mylist\n  burrow manifest add mylist myimage\n  burrow manifest push mylist registry.example.com/mylist",
    ),
    (
        "manifest create",
        "burrow manifest create mylist\n  burrow manifest create mylist localhost/app-amd64 localhost/app-arm64",
    ),
    (
        "manifest add",
        "burrow manifest add mylist localhost/app-arm64 --arch arm64 --variant v8\n  burrow manifest add mylist docker://quay.io/podman/hello:latest",
    ),
    (
        "manifest annotate",
        "burrow manifest annotate --annotation org.example=1 mylist sha256:DIGEST\n  burrow manifest annotate --index --annotation org.example=1 mylist",
    ),
    ("manifest inspect", "burrow manifest inspect mylist"),
    (
        "manifest push",
        "burrow manifest push mylist registry.example.com/app:1\n  burrow manifest push --rm --digestfile digest.txt mylist registry.example.com/app:1",
    ),
    (
        "manifest remove",
        "burrow manifest remove mylist sha256:DIGEST",
    ),
    ("manifest rm", "burrow manifest rm mylist"),
    ("manifest exists", "burrow manifest exists mylist"),
    (
        "image trust",
        "burrow image trust show\n  burrow image trust set --type reject docker.io",
    ),
    (
        "image sign",
        "burrow image sign --sign-by dev@example.com docker://registry.example.com/app:1\n  burrow image sign --all -d /srv/sigstore --sign-by dev@example.com docker://registry.example.com/app:1",
    ),
    (
        "image trust show",
        "burrow image trust show\n  burrow image trust show --json\n  burrow image trust show --raw",
    ),
    (
        "image trust set",
        "burrow image trust set --type accept default\n  burrow image trust set --type reject docker.io\n  burrow image trust set --type signedBy --pubkeysfile /etc/pki/key.gpg registry.example.com",
    ),
    (
        "network update",
        "burrow network update --dns-add 1.1.1.1,8.8.8.8 app\n  burrow network update --dns-drop 8.8.8.8 --dns-add 9.9.9.9 app",
    ),
    (
        "pod clone",
        "burrow pod clone web\n  burrow pod clone --name web2 --label env=test web\n  burrow pod clone --destroy --start web web-new",
    ),
    (
        "artifact",
        "burrow artifact add quay.io/me/model:1 ./model.gguf\n  burrow artifact ls\n  burrow artifact extract quay.io/me/model:1 ./out",
    ),
    (
        "artifact add",
        "burrow artifact add quay.io/me/model:1 ./model.gguf\n  burrow artifact add --type application/vnd.example --file-type text/yaml quay.io/me/conf:1 ./a.yaml ./b.yaml\n  burrow artifact add --append quay.io/me/conf:1 ./c.yaml",
    ),
    (
        "artifact ls",
        "burrow artifact ls\n  burrow artifact ls --no-trunc\n  burrow artifact ls --format \"{{.Digest}} {{.Size}}\"",
    ),
    (
        "artifact inspect",
        "burrow artifact inspect quay.io/me/model:1\n  burrow artifact inspect --format \"{{.Digest}}\" quay.io/me/model:1",
    ),
    (
        "artifact rm",
        "burrow artifact rm quay.io/me/model:1\n  burrow artifact rm -i 3f78d5b8ba98\n  burrow artifact rm --all",
    ),
    (
        "artifact extract",
        "burrow artifact extract quay.io/me/model:1 ./model.gguf\n  burrow artifact extract quay.io/me/conf:1 ./confdir\n  burrow artifact extract --title a.yaml quay.io/me/conf:1 ./confdir",
    ),
    (
        "artifact push",
        "burrow artifact push quay.io/me/model:1\n  burrow artifact push --tls-verify=false localhost/me/model:1 localhost:5000/me/model:1",
    ),
    (
        "artifact pull",
        "burrow artifact pull quay.io/me/model:1\n  burrow artifact pull --creds user:secret registry.example.com/me/model:1",
    ),
    (
        "container runlabel",
        "burrow container runlabel RUN myimage\n  burrow container runlabel INSTALL myimage arg1 arg2\n  burrow container runlabel --display RUN myimage",
    ),
    (
        "container cleanup",
        "burrow container cleanup web\n  burrow container cleanup --all\n  burrow container cleanup --rm --rmi web",
    ),
    ("container checkpoint", "burrow container checkpoint web"),
    ("container restore", "burrow container restore web"),
    (
        "generate spec",
        "burrow generate spec web\n  burrow generate spec --compact --name=false web\n  burrow generate spec -f web.json mypod",
    ),
];

/// The command tree with podman's help layout and the examples attached.
pub fn command() -> Command {
    decorate(<crate::Cli as clap::CommandFactory>::command(), "")
}

fn decorate(cmd: Command, parent: &str) -> Command {
    let path = if parent.is_empty() {
        if cmd.get_name() == "burrow" {
            "burrow".to_string()
        } else {
            cmd.get_name().to_string()
        }
    } else if parent == "burrow" {
        cmd.get_name().to_string()
    } else {
        format!("{parent} {}", cmd.get_name())
    };
    // `container run` shares `run`'s examples.
    let key = path.rsplit(' ').next().unwrap_or(&path).to_string();
    let examples = EXAMPLES
        .iter()
        .find(|(k, _)| *k == path)
        // Only the groups that repeat top-level commands: `cdi generate` is not `generate`.
        .or_else(|| {
            let alias_group = path.starts_with("container ") || path.starts_with("image ");
            EXAMPLES.iter().find(|(k, _)| alias_group && *k == key)
        })
        .map(|(_, e)| format!("Examples:\n  {e}\n\n"));
    let group = cmd.has_subcommands();
    let mut cmd = match (group, examples) {
        (true, Some(e)) => cmd.help_template(GROUP_TEMPLATE).after_help(e),
        (true, None) => {
            cmd.help_template(GROUP_TEMPLATE.replace("{usage}{after-help}", "{usage}\n\n"))
        }
        (false, Some(e)) => cmd.help_template(TEMPLATE_WITH_EXAMPLES).after_help(e),
        (false, None) => cmd.help_template(TEMPLATE),
    };
    let subs: Vec<Command> = cmd.get_subcommands().cloned().collect();
    for sub in subs {
        let name = sub.get_name().to_string();
        let decorated = decorate(sub, &path);
        cmd = cmd.mut_subcommand(name, |_| decorated);
    }
    cmd
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_visible_top_level_command_has_examples() {
        let cmd = super::command();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = sub.get_name();
            assert!(sub.get_after_help().is_some(), "no examples for {name}");
        }
    }
}
