from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0004_notices_over_time_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notice",
            name="slug",
            field=models.SlugField(
                blank=True,
                help_text="通知页面网址中的英文标识,如 rstf-2026-1;留空则按文号自动生成。发布后不要修改。",
                max_length=60,
                unique=True,
                verbose_name="网址标识",
            ),
        ),
        migrations.RemoveField(
            model_name="notice",
            name="legal_status",
        ),
    ]
